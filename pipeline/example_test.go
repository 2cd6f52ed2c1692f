package pipeline_test

import (
	"context"
	"fmt"

	"github.com/rstsniff/rstsniff/analyze"
	"github.com/rstsniff/rstsniff/capture"
	"github.com/rstsniff/rstsniff/pipeline"
)

// Reading a capture file: packet time, flows in order of first packet.
// The lab's rate-limit capture: three logins, then a SYN the router
// refused in the server's name (testdata/pcaps/rate-limit/README.md).
// (A live capture passes pipeline.WallClock() instead, and reads its
// source directly.)
func ExampleRun() {
	src, err := capture.Open("../testdata/pcaps/rate-limit/capture.pcap")
	if err != nil {
		fmt.Println(err)
		return
	}
	src = capture.ReadAhead(src)
	defer src.Close()
	cfg := pipeline.Config{Analyzer: analyze.New(analyze.Config{}), MaxFlows: analyze.DefaultMaxFlows}
	st, err := pipeline.Run(context.Background(), src, cfg, pipeline.PacketTime(), func(f *analyze.Flow) error {
		fmt.Println(f.FirstPacket, f.Client, f.Stage, f.Outcome)
		return nil
	})
	fmt.Println(st.Frames, "frames", err)
	// Output:
	// 1 198.51.100.2:60076 session closed
	// 43 198.51.100.2:60084 session closed
	// 85 198.51.100.2:60096 session closed
	// 127 198.51.100.2:60104 handshake refused
	// 128 frames <nil>
}
