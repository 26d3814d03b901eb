#!/bin/sh
# ficta-shim: written by `ficta install` so that `codex` runs through ficta; `ficta uninstall` removes it.
# Bypass once: FICTA_DISABLE=1 codex ...   Bypass until `ficta enable`: ficta disable
exec {{COMMAND}} codex "$@"
