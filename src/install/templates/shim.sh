#!/bin/sh
# ficta-shim: written by `ficta install` so that `{{AGENT}}` runs through ficta; `ficta uninstall` removes it.
# Bypass once: FICTA_DISABLE=1 {{AGENT}} ...   Bypass until `ficta enable`: ficta disable
exec {{COMMAND}} {{AGENT}} "$@"
