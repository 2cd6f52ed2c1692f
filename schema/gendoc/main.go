// Command gendoc writes docs/json.md from schema/rstsniff.v1.json
// (go generate ./schema). It writes beside the file and renames.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rstsniff/rstsniff/schema"
)

func main() {
	out := flag.String("o", "docs/json.md", "write the page to `FILE`")
	flag.Parse()
	if err := write(*out); err != nil {
		fmt.Fprintf(os.Stderr, "gendoc: %v\n", err)
		os.Exit(1)
	}
}

func write(path string) error {
	b, err := schema.Markdown()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".json.md-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
