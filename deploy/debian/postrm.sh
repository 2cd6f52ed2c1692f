#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null || true
fi
if [ "$1" = remove ] || [ "$1" = purge ] || [ "$1" = 0 ]; then
	# The capture group's copy of the binary (postinst made it, not dpkg).
	rm -f /usr/libexec/rstsniff/rstsniff
	rmdir /usr/libexec/rstsniff 2>/dev/null || true
fi
if [ "$1" = purge ]; then
	rm -rf /var/log/rstsniff
fi
exit 0
