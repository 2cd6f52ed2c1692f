package analyze

import "testing"

// TestLogConn: the server's reset is its own unless forged on the path;
// a host firewall's reset stands beside the server; a FIN from the server
// ends the connection by the server.
func TestLogConn(t *testing.T) {
	for _, c := range []struct {
		name                 string
		f                    Flow
		reset, ended, beside bool
	}{
		{"own reset", Flow{Resets: []Reset{{From: Server, Sender: SenderServer}}}, true, true, false},
		{"forged", Flow{Resets: []Reset{{From: Server, Sender: SenderPath}}}, true, false, false},
		{"host firewall", Flow{Resets: []Reset{{From: Server, Sender: SenderServerFirewall}}}, true, false, true},
		{"client reset", Flow{Resets: []Reset{{From: Client, Sender: SenderClient}}}, false, false, false},
		{"server FIN", Flow{Outcome: OutcomeClosed, ClosedBy: Server}, false, true, false},
	} {
		got := c.f.LogConn()
		if got.ServerReset != c.reset || got.ServerEnded != c.ended || got.ServerResetBeside != c.beside {
			t.Errorf("%s: reset %v ended %v beside %v", c.name, got.ServerReset, got.ServerEnded, got.ServerResetBeside)
		}
	}
}
