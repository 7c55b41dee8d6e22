#!/bin/sh
# /usr/bin/kiosk: the packaged kiosk, with the same config as the service unless told otherwise,
# so that `kiosk doctor` or `kiosk journal list` typed at a shell look at what the till uses.
if [ -z "${KIOSK_CONFIG:-}" ] && [ -r /etc/kiosk/kiosk.toml ]; then
    KIOSK_CONFIG=/etc/kiosk/kiosk.toml
    export KIOSK_CONFIG
fi
exec /opt/kiosk/venv/bin/kiosk "$@"
