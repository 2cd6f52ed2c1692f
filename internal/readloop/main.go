// Command readloop reads every frame of a capture and does nothing with it:
// the floor that make bench compares rstsniff against.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/rstsniff/rstsniff/capture"
)

func main() {
	src, err := capture.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// The way rstsniff reads: frames filled in place.
	fr := src.(capture.FrameReader)
	var f capture.Frame
	n, bytes := 0, 0
	for {
		err := fr.ReadFrameTo(&f)
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		n++
		bytes += len(f.Data)
	}
	fmt.Printf("%d frames, %d bytes\n", n, bytes)
}
