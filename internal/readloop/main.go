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
	n, bytes := 0, 0
	for {
		data, _, err := src.ReadFrame()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		n++
		bytes += len(data)
	}
	fmt.Printf("%d frames, %d bytes\n", n, bytes)
}
