// Package deploy holds what ships rstsniff to hosts and dashboards, and the
// tests that prove each piece works: the static release binary in an empty
// root, the Debian package (nfpm.yaml, the systemd unit, logrotate), and the
// Prometheus alert rules and Grafana dashboard (promtool, a real Prometheus
// scraping lab hosts). It has no Go code of its own beyond its tests.
package deploy
