@echo off
rem ficta-shim: written by `ficta install` so that `{{AGENT}}` runs through ficta; `ficta uninstall` removes it.
rem Bypass once: set FICTA_DISABLE=1   Bypass until `ficta enable`: ficta disable
{{COMMAND}} {{AGENT}} %*
exit /b %ERRORLEVEL%
