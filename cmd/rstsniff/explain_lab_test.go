package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLabControlMaster makes a ControlMaster failure in the lab (lab.sh
// case controlmaster: the router resets the master's connection while a
// second ssh uses its socket) and holds rstsniff explain to calling it a
// master-connection problem, with the capture advice for the master's TCP
// connection; the fresh capture shows the master's connection reset.
func TestLabControlMaster(t *testing.T) {
	needLab(t)
	out := keptDir(t, "rstsniff-lab-cm-")
	if b, err := exec.Command("bash", "../../testdata/lab/lab.sh", out, "controlmaster").CombinedOutput(); err != nil {
		t.Fatalf("lab.sh: %v\n%s", err, b)
	}
	dir := filepath.Join(out, "controlmaster")
	client, err := os.ReadFile(filepath.Join(dir, "client.txt"))
	if err != nil {
		t.Fatal(err)
	}
	master, _ := os.ReadFile(filepath.Join(dir, "master.txt"))
	for _, tc := range []struct{ name, log, masterWire string }{
		{name: "client.txt", log: string(client), masterWire: "unknown"},
		{name: "master.txt+client.txt", log: string(master) + string(client), masterWire: "write-after-reset"},
	} {
		js, errOut, code := runCLI(t, tc.log, "explain", "--format", "json", "-")
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s\n%s", tc.name, code, errOut, tc.log)
		}
		var j struct {
			Wire       string
			Host       string
			MasterWire string `json:"master_wire"`
			Mux        bool
			Capture    struct {
				Master        string
				ClientTcpdump string `json:"client_tcpdump"`
			}
		}
		if err := json.Unmarshal([]byte(js), &j); err != nil {
			t.Fatal(err)
		}
		if j.Wire != "local-socket" || !j.Mux || j.Capture.Master == "" || j.Host != "203.0.113.2" ||
			!strings.Contains(j.Capture.ClientTcpdump, "host 203.0.113.2 and tcp port 22") || j.MasterWire != tc.masterWire {
			t.Errorf("%s: %s\n%s", tc.name, js, tc.log)
		}
	}
	// The master's connection was reset in the server's name by the router.
	js, errOut, code := runCLI(t, "", "-r", filepath.Join(dir, "capture.pcap"), "--format", "json")
	if code == exitUsage {
		t.Fatal(errOut)
	}
	if !strings.Contains(js, `"outcome":"reset"`) {
		t.Errorf("no reset connection in the capture:\n%s", js)
	}
}
