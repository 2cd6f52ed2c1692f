package report

import "fmt"

// OTLPCannotSend says that the collector at target did not take records
// (the first failure of an outage) and how many are held meanwhile.
func OTLPCannotSend(target string, err error, queue int) string {
	return fmt.Sprintf("OTLP: cannot send to %s: %v; holding up to %d records and trying again", target, err, queue)
}

// OTLPUndelivered says, at the end, how many records the collector at
// target never got, how many it did, and why (why: "" or ": cause").
func OTLPUndelivered(dropped uint64, target string, sent uint64, why string) string {
	return fmt.Sprintf("OTLP: %d record%s not delivered to %s (%d delivered)%s", dropped, plural(int(dropped)), target, sent, why)
}
