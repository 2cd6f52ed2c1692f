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
	# rstsniff run and -i without root for the rstsniff group: off unless
	# /etc/default/rstsniff says RSTSNIFF_CAPTURE_GROUP=yes (docs/run.md).
	capture_group=no
	if [ -r /etc/default/rstsniff ]; then
		capture_group=$(sed -n 's/^RSTSNIFF_CAPTURE_GROUP=["'\'']*\([a-z]*\).*/\1/p' /etc/default/rstsniff | tail -1)
	fi
	if [ "$capture_group" = yes ]; then
		sh /usr/lib/rstsniff/capture-group.sh on /usr/bin/rstsniff /usr/libexec/rstsniff rstsniff ||
			echo "rstsniff: the capture group could not be set up; see docs/run.md" >&2
	else
		sh /usr/lib/rstsniff/capture-group.sh off /usr/bin/rstsniff /usr/libexec/rstsniff rstsniff
	fi
	if [ -d /run/systemd/system ]; then
		systemctl daemon-reload >/dev/null || true
	fi
fi
exit 0
