// Command readloop reads every frame of a capture and does nothing with it:
// the floor that make bench compares rstsniff against.
//
//	readloop FILE          the way rstsniff reads (capture.FrameReader)
//	readloop -pcapgo FILE  pcapgo's fastest way, for comparison: a 1 MiB
//	                       bufio.Reader and ZeroCopyReadPacketData (classic
//	                       pcap only)
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/rstsniff/rstsniff/capture"
)

func main() {
	var n, bytes int
	var err error
	if len(os.Args) == 3 && os.Args[1] == "-pcapgo" {
		n, bytes, err = pcapgoLoop(os.Args[2])
	} else if len(os.Args) == 2 {
		n, bytes, err = loop(os.Args[1])
	} else {
		err = fmt.Errorf("usage: readloop [-pcapgo] FILE")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%d frames, %d bytes\n", n, bytes)
}

func loop(name string) (n, bytes int, err error) {
	src, err := capture.Open(name)
	if err != nil {
		return 0, 0, err
	}
	// The way rstsniff reads: frames filled in place.
	fr := src.(capture.FrameReader)
	var f capture.Frame
	for {
		err := fr.ReadFrameTo(&f)
		if err == io.EOF {
			return n, bytes, nil
		}
		if err != nil {
			return n, bytes, err
		}
		n++
		bytes += len(f.Data)
	}
}

func pcapgoLoop(name string) (n, bytes int, err error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	r, err := pcapgo.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return 0, 0, err
	}
	for {
		d, _, err := r.ZeroCopyReadPacketData()
		if err == io.EOF {
			return n, bytes, nil
		}
		if err != nil {
			return n, bytes, err
		}
		n++
		bytes += len(d)
	}
}
