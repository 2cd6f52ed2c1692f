package analyze

// compressed reports whether zlib compression was negotiated in either
// direction: compressed sizes say nothing of the messages, so the
// authentication heuristic stays silent (as Zeek's does).
func (f *flow) compressed() bool {
	ck, sk := f.d[0].w.kexinit, f.d[1].w.kexinit
	if ck == nil || sk == nil {
		return false
	}
	a := f.kexs.negotiated(ck, sk)
	c2s, s2c := a.Compression, a.compS2C
	return (c2s != "" && c2s != "none") || (s2c != "" && s2c != "none")
}

// authState is Zeek's heuristic for SSH user authentication from the sizes
// of encrypted segments (src/analyzer/protocol/ssh/SSH.cc, ProcessEncrypted).
// After the client's first encrypted packet (SERVICE_REQUEST), the server's
// first encrypted chunk is SERVICE_ACCEPT; USERAUTH_SUCCESS is 16 bytes
// shorter in every cipher mode, and repeats of the first other size are
// USERAUTH_FAILUREs. One chunk longer than SERVICE_ACCEPT by over 256 bytes
// is taken as a USERAUTH_BANNER and skipped.
type authState struct {
	sawClient     bool
	acceptSize    int
	failureSize   int
	skippedBanner bool
	decided       bool
	success       bool
	attempts      int
	compression   compression // looked up once, at the first encrypted chunk
}

// compression says whether zlib was negotiated, once it is known.
type compression uint8

const (
	compressionUnknown compression = iota
	compressionOff
	compressionOn
)

func (a *authState) clientEncrypted(int) { a.sawClient = true }

func (a *authState) serverEncrypted(f *flow, n int) {
	if a.decided || !a.sawClient || f.d[0].s.gaps > 0 || f.d[1].s.gaps > 0 {
		return
	}
	if a.compression == compressionUnknown {
		a.compression = compressionOff
		if f.compressed() {
			a.compression = compressionOn
		}
	}
	if a.compression == compressionOn {
		return
	}
	switch {
	case a.acceptSize == 0:
		a.acceptSize = n
	case a.failureSize == 0 && n+16 == a.acceptSize:
		a.decided, a.success = true, true
		a.attempts++
	case a.failureSize == 0:
		if !a.skippedBanner && n-a.acceptSize > 256 {
			a.skippedBanner = true
			return
		}
		a.failureSize = n
	case n == a.failureSize:
		a.attempts++
	case n-a.acceptSize == -16:
		a.decided, a.success = true, true
		a.attempts++
	}
}
