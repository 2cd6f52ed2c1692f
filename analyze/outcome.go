package analyze

import (
	"time"

	"github.com/rstsniff/rstsniff/decode"
)

// finish completes the flow's results at the end of the capture.
func (f *flow) finish(captureEnd time.Time, hosts *hostTTLs, idle time.Duration) *Flow {
	for i := range f.d {
		f.d[i].s.flush(&f.d[i].w)
	}
	o := &f.out
	o.End = time.Unix(0, f.last).In(o.Start.Location())
	// Who sent each reset is decided first: a forged reset its receiver
	// went on past ended nothing, and the stage and outcome follow.
	f.judge(hosts)
	f.realEnd()
	o.Stage = f.stage()
	// One side silent while the other acknowledges what it sent: the
	// silent side's packets took another path (asymmetric routing) or a
	// capture filter dropped them. Nothing is said of what is not seen.
	for i, side := range [2]Side{Client, Server} {
		if f.out.Packets[i] == 0 && f.out.Packets[1-i] > 0 && f.d[1-i].ackSet {
			o.Missing = side
			o.Stage = StageUnknown
			for j := range o.Resets {
				o.Resets[j].Stage = StageUnknown
			}
		}
	}
	// Here, not at creation: flows that turn out not to be SSH never need it.
	o.CommunityID = communityID(o.Client, o.Server)
	c, s := &f.d[0], &f.d[1]
	o.ClientBanner, o.ServerBanner = c.w.banner, s.w.banner
	o.PreBanner = s.w.preBanner
	for i := range f.d {
		if f.d[i].dataSet {
			o.Bytes[i] = int64(uint32(f.d[i].dataEnd - f.d[i].dataBase))
		}
	}
	if c.w.kexinit != nil && s.w.kexinit != nil {
		o.Algorithms = f.kexs.negotiated(c.w.kexinit, s.w.kexinit).Algorithms
	}
	if c.w.kexinit != nil {
		o.Algorithms.ClientHASSH = c.w.kexinit.HASSH(true)
	}
	if s.w.kexinit != nil {
		o.Algorithms.ServerHASSH = s.w.kexinit.HASSH(false)
	}
	if f.auth.decided || f.auth.attempts > 0 {
		v := f.auth.success
		o.AuthSuccess = &v
	}
	o.AuthAttempts = f.auth.attempts

	switch {
	case len(o.Resets) > 0 && o.Resets[0].From == Server && !f.synAckSeen && c.synSeen &&
		o.Resets[0].Flags.Has(decode.ACK):
		o.Outcome = OutcomeRefused
	case f.connectFailed():
		o.Outcome = OutcomeUnreachable
	case f.resetEnded:
		o.Outcome = OutcomeReset
	case c.finSeen || s.finSeen:
		o.Outcome = OutcomeClosed
	case f.unanswered(captureEnd):
		o.Outcome = OutcomeTimeout
	default:
		o.Outcome = OutcomeOpen
	}
	if f.ended {
		o.ClosedBy = f.firstEnd
	}
	switch {
	case o.Outcome == OutcomeRefused:
		o.EndReset = o.Resets[0].Packet
	case o.Outcome == OutcomeReset && f.endReset > 0:
		o.EndReset = o.Resets[f.endReset-1].Packet
	}
	if n := len(f.tail); n > 0 {
		start := f.tailNext % n
		o.Log = append(o.Log, f.tail[start:]...)
		o.Log = append(o.Log, f.tail[:start]...)
		f.tail = nil
	}
	for _, m := range fingerprinters {
		m.match(f)
	}
	f.findings(idle)
	o.ConnState = f.connState()
	o.History = f.history()
	for i, side := range [2]Side{Client, Server} {
		d := &f.d[i]
		if d.w.stopWhy != StopNone {
			o.Notes = append(o.Notes, Note{side, d.w.stopWhy})
		}
		if d.s.missing > 0 && d.w.stopWhy != StopMissingBytes {
			o.Notes = append(o.Notes, Note{side, StopMissingBytes})
		}
	}
	return o
}

// realEnd: a forged reset that its receiver went on past (it sent new data
// after it, and the reset answered nothing of its) ended nothing. The next
// reset that could have ended the connection ends it instead, or none
// does; who ended it is then the side of that reset, or of the first FIN.
func (f *flow) realEnd() {
	moved := false
	for f.resetEnded {
		i := f.endReset - 1
		r, c := &f.out.Resets[i], &f.rx[i]
		if !r.Sender.Forged() || c.ignored.frame == 0 || c.reply {
			break
		}
		r.Ignored, moved = true, true
		f.resetEnded, f.endReset = false, 0
		for j := i + 1; j < len(f.out.Resets); j++ {
			if f.rx[j].couldEnd {
				f.resetEnded, f.endReset, f.stageAtReset = true, j+1, f.out.Resets[j].Stage
				break
			}
		}
	}
	if !moved {
		return
	}
	switch {
	case f.resetEnded && (f.firstFIN == SideNone || f.out.Resets[f.endReset-1].Packet < f.firstFINAt):
		f.firstEnd = f.out.Resets[f.endReset-1].From
	case f.firstFIN != SideNone:
		f.firstEnd = f.firstFIN
	default:
		f.ended = false
	}
}

// unanswered reports whether a side sent something (SYN or data) that the
// other side never answered: it retransmitted, or a second passed, and the
// other side sent nothing after the first transmission.
func (f *flow) unanswered(captureEnd time.Time) bool {
	for i := range f.d {
		x, y := &f.d[i], &f.d[1-i]
		if !x.unacked {
			continue
		}
		if f.out.Packets[1-i] > 0 && y.last >= x.unackedFrom {
			continue
		}
		if x.retrans > 0 || time.Duration(captureEnd.UnixNano()-x.unackedFrom) >= time.Second {
			return true
		}
	}
	return false
}
