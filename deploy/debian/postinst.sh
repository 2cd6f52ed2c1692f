#!/bin/sh
# The rstsniff system user runs the rstsniff@ services; it owns nothing but
# reads its own log directory.
set -e
if [ "$1" = configure ] || [ "$1" = 1 ] || [ -z "$1" ]; then
	if ! getent passwd rstsniff >/dev/null; then
		adduser --system --group --no-create-home --home /nonexistent --quiet rstsniff 2>/dev/null ||
			useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin rstsniff
	fi
	install -d -o root -g adm -m 0750 /var/log/rstsniff
	if [ -d /run/systemd/system ]; then
		systemctl daemon-reload >/dev/null || true
	fi
fi
exit 0
