package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestCaptureGroupHelper: capture-group.sh on makes a copy only root and
// the group may run, with the four capabilities; off removes it. (The lab's
// run-group case runs such a copy as a member of the group.)
func TestCaptureGroupHelper(t *testing.T) {
	needRoot(t)
	if _, err := exec.LookPath("setcap"); err != nil {
		t.Skip("no setcap (libcap2-bin)")
	}
	helper := filepath.Join(repoRoot(t), "deploy/debian/capture-group.sh")
	src := filepath.Join(t.TempDir(), "rstsniff")
	if err := os.WriteFile(src, []byte("#!/bin/sh\necho hello\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "libexec")
	if out, err := exec.Command("sh", helper, "on", src, dir, "64998").CombinedOutput(); err != nil {
		t.Fatalf("on: %v\n%s", err, out)
	}
	bin := filepath.Join(dir, "rstsniff")
	st, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	sys := st.Sys().(*syscall.Stat_t)
	if st.Mode().Perm() != 0o750 || sys.Uid != 0 || sys.Gid != 64998 {
		t.Errorf("%s: mode %v, owner %d:%d; want 0750 root:64998", bin, st.Mode().Perm(), sys.Uid, sys.Gid)
	}
	caps, err := exec.Command("getcap", bin).Output()
	if err != nil || !strings.Contains(string(caps), "cap_net_admin,cap_net_raw,cap_perfmon,cap_bpf=ep") {
		t.Errorf("getcap: %q, %v", caps, err)
	}
	if out, err := exec.Command("sh", helper, "off", src, dir, "64998").CombinedOutput(); err != nil {
		t.Fatalf("off: %v\n%s", err, out)
	}
	if _, err := os.Stat(bin); !os.IsNotExist(err) {
		t.Errorf("off left %s: %v", bin, err)
	}
	if out, err := exec.Command("sh", helper, "sideways", src, dir, "64998").CombinedOutput(); err == nil {
		t.Errorf("a bad mode was accepted: %s", out)
	}
}

// captureGroup checks the installed package: off by default; yes in
// /etc/default/rstsniff and dpkg-reconfigure make the group's copy; no
// removes it again.
func captureGroup(t *testing.T) {
	t.Helper()
	const capBin = "/usr/libexec/rstsniff/rstsniff"
	if _, err := os.Stat("/usr/lib/rstsniff/capture-group.sh"); err != nil {
		t.Errorf("helper not installed: %v", err)
	}
	if _, err := os.Stat(capBin); !os.IsNotExist(err) {
		t.Errorf("%s exists with the default RSTSNIFF_CAPTURE_GROUP=no: %v", capBin, err)
	}
	if _, err := exec.LookPath("dpkg-reconfigure"); err != nil {
		t.Log("no dpkg-reconfigure: the switch is not tried")
		return
	}
	if _, err := exec.LookPath("setcap"); err != nil {
		t.Log("no setcap: the switch is not tried")
		return
	}
	def, err := os.ReadFile("/etc/default/rstsniff")
	if err != nil {
		t.Fatal(err)
	}
	set := func(v string) {
		s := strings.Replace(string(def), "RSTSNIFF_CAPTURE_GROUP=no", "RSTSNIFF_CAPTURE_GROUP="+v, 1)
		if err := os.WriteFile("/etc/default/rstsniff", []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("dpkg-reconfigure", "-fnoninteractive", "rstsniff").CombinedOutput(); err != nil {
			t.Fatalf("dpkg-reconfigure: %v\n%s", err, out)
		}
	}
	set("yes")
	if caps, err := exec.Command("getcap", capBin).Output(); err != nil || !strings.Contains(string(caps), "cap_bpf") {
		t.Errorf("RSTSNIFF_CAPTURE_GROUP=yes: getcap %s: %q, %v", capBin, caps, err)
	}
	set("no")
	if _, err := os.Stat(capBin); !os.IsNotExist(err) {
		t.Errorf("RSTSNIFF_CAPTURE_GROUP=no left %s", capBin)
	}
}
