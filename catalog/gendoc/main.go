// Command gendoc writes docs/findings.md from the catalog
// (go generate ./catalog). It writes beside the file and renames.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rstsniff/rstsniff/catalog"
)

func main() {
	out := flag.String("o", "docs/findings.md", "write the page to `FILE`")
	flag.Parse()
	if err := write(*out, catalog.Markdown()); err != nil {
		fmt.Fprintf(os.Stderr, "gendoc: %v\n", err)
		os.Exit(1)
	}
}

func write(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".findings.md-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if err := firstErr(werr, cerr, os.Chmod(tmp.Name(), 0o644)); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
