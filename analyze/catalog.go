package analyze

import (
	"slices"

	"github.com/rstsniff/rstsniff/catalog"
)

// FindingID names a pattern found in a connection. Its value is its rank:
// the first finding a connection has is its main one. The names (String)
// are stable: scripts match on them.
type FindingID uint8

const (
	FindOneDirection FindingID = iota
	FindHostFirewall
	FindForgedResetIgnored
	FindResetRace
	FindResetBothEnds
	FindResetBurst
	FindIdleTimeoutReset
	FindResidualBlock
	FindRateLimit
	FindMTUBlackhole
	FindCloseBeforeBan
	FindPostSynAckReset
	FindTTLMismatch
	FindICMPUnreachable
	FindRefused
	FindSynTimeout
	FindNotSSH
	FindMalformedSSH
	FindServerReset
	FindClientReset
	numFindings
)

// Blame says who a finding points at: the catalog's (package catalog
// holds every witness's findings).
type Blame = catalog.Blame

const (
	BlameUnknown   = catalog.BlameUnknown
	BlameClient    = catalog.BlameClient
	BlameServer    = catalog.BlameServer
	BlameNetwork   = catalog.BlameNetwork   // the path failed (drops, routes, MTU), no device forging
	BlameMiddlebox = catalog.BlameMiddlebox // a device on the path acted in an endpoint's name
)

// CatalogEntry is a packet finding's entry in the one catalog (package
// catalog), with its ID here: stable name, usual blame (a finding may
// carry another: a refusal forged on the path blames the middlebox),
// causes and next steps.
type CatalogEntry struct {
	ID        FindingID
	Name      string
	Blame     Blame
	Causes    []string
	NextSteps []string
}

// findingNames are the stable names of the IDs, in rank order; the
// catalog package holds the rest of what is known of each.
var findingNames = [numFindings]string{
	FindOneDirection:       "one-direction",
	FindHostFirewall:       "host-firewall-reset",
	FindForgedResetIgnored: "forged-reset-ignored",
	FindResetRace:          "reset-race",
	FindResetBothEnds:      "reset-both-ends",
	FindResetBurst:         "reset-burst",
	FindIdleTimeoutReset:   "idle-timeout-reset",
	FindResidualBlock:      "residual-block",
	FindRateLimit:          "rate-limit",
	FindMTUBlackhole:       "mtu-blackhole",
	FindCloseBeforeBan:     "server-close-before-banner",
	FindPostSynAckReset:    "post-synack-reset",
	FindTTLMismatch:        "ttl-mismatch",
	FindICMPUnreachable:    "icmp-unreachable",
	FindRefused:            "refused",
	FindSynTimeout:         "syn-timeout",
	FindNotSSH:             "not-ssh",
	FindMalformedSSH:       "malformed-ssh",
	FindServerReset:        "server-reset",
	FindClientReset:        "client-reset",
}

// catalogTable is the packets' part of the catalog, indexed by ID.
var catalogTable = func() (t [numFindings]CatalogEntry) {
	for id, name := range findingNames {
		e, _ := catalog.Lookup(name)
		t[id] = CatalogEntry{ID: FindingID(id), Name: name, Blame: e.Blame, Causes: e.Causes, NextSteps: e.NextSteps}
	}
	return t
}()

// Catalog returns the findings catalog in rank order.
func Catalog() []CatalogEntry { return slices.Clone(catalogTable[:]) }

// Entry returns the catalog's entry for the finding.
func (id FindingID) Entry() CatalogEntry {
	if id < numFindings {
		return catalogTable[id]
	}
	return CatalogEntry{ID: id, Name: "unknown"}
}

func (id FindingID) String() string { return id.Entry().Name }

// FindingByName returns the finding with the stable name, if there is one.
func FindingByName(name string) (FindingID, bool) {
	for _, e := range catalogTable {
		if e.Name == name {
			return e.ID, true
		}
	}
	return 0, false
}
