//go:build static

// Package staticlink completes a fully static link of Debian's libpcap.a
// (make release builds with -tags static). Debian builds libpcap with its
// D-Bus capture module, so libpcap.a needs libdbus-1.a (given on the
// linker line by make release, after -lpcap), and libdbus-1.a's server
// side needs libsystemd's sd_listen_fds and sd_is_socket, of which Debian
// ships no static archive. rstsniff never listens on D-Bus: the stubs below
// answer "no sockets were passed by systemd" and "not a socket", which is
// what libsystemd says to a process that was not socket-activated.
package staticlink

/*
int sd_listen_fds(int unset_environment) { return 0; }
int sd_is_socket(int fd, int family, int type, int listening) { return 0; }
*/
import "C"
