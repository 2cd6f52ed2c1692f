package analyze

import "github.com/rstsniff/rstsniff/sshdlog"

// LogConn is what sshdlog's join needs of the connection: its addresses
// and times, how it ended, and whether the server sent a reset (its own,
// or beside it: a host firewall's).
func (f *Flow) LogConn() sshdlog.Conn {
	c := sshdlog.Conn{ID: f.ID, Client: f.Client, Server: f.Server, Start: f.Start, End: f.End, Open: f.Outcome == OutcomeOpen,
		Midstream: f.Midstream}
	beside := 0
	for _, r := range f.Resets {
		if r.From == Client && !r.Sender.Forged() && f.ServerBanner == "" {
			c.ClientResetEarly = true
		}
		if r.From == Server {
			c.ServerReset = true
			if !r.Sender.Forged() {
				c.ServerEnded = true
			}
			if r.Sender.HostFirewall() {
				beside++
			}
		}
	}
	c.ServerResetBeside = c.ServerReset && beside > 0
	if f.Outcome == OutcomeClosed && f.ClosedBy == Server {
		c.ServerEnded = true
	}
	return c
}
