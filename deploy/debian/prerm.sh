#!/bin/sh
# Stop the running rstsniff@ services before their binary goes.
set -e
if [ -d /run/systemd/system ] && [ "$1" = remove ]; then
	systemctl stop 'rstsniff@*.service' >/dev/null 2>&1 || true
fi
exit 0
