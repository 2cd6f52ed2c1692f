package explain

import (
	"regexp"
	"sync"
)

// Regexp is one of the catalog's patterns, compiled on first use: a run
// that explains no client message (reading a capture) does not pay at
// start-up for compiling the catalog's seventy patterns.
// TestCatalogCompiles compiles every one of them.
type Regexp struct {
	src string
	re  func() *regexp.Regexp
}

func re(s string) *Regexp {
	return &Regexp{src: s, re: sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(s) })}
}

// FindStringSubmatch is regexp.Regexp's.
func (r *Regexp) FindStringSubmatch(s string) []string { return r.re().FindStringSubmatch(s) }

// MatchString is regexp.Regexp's.
func (r *Regexp) MatchString(s string) bool { return r.re().MatchString(s) }

// SubexpNames is regexp.Regexp's.
func (r *Regexp) SubexpNames() []string { return r.re().SubexpNames() }

// String is the pattern's source text, as regexp.Regexp's.
func (r *Regexp) String() string { return r.src }
