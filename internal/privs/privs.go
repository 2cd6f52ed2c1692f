// Package privs drops root for good after a live capture is open (-Z), as
// tcpdump does: the standard library only.
package privs

import (
	"fmt"
	"os/user"
	"strconv"
	"syscall"
)

// Drop switches to user name for good: supplementary groups, then
// group, then user (Go applies each to every thread).
func Drop(name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return err
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return err
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return err
	}
	if err := syscall.Setgroups([]int{gid}); err != nil {
		return fmt.Errorf("setgroups: %v", err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return fmt.Errorf("setgid: %v", err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return fmt.Errorf("setuid: %v", err)
	}
	return nil
}
