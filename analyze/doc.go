// Package analyze rebuilds TCP connections from decoded segments, follows
// the SSH protocol through its cleartext part and says how each connection
// ended and where each reset arrived.
//
// Data flow: the caller feeds decode.Segment values in capture order to an
// Analyzer and calls Finish, which returns plain Flow values for package
// report. Time comes only from packet timestamps, so a replayed capture and
// a live run agree. Memory per flow is bounded: each direction buffers at
// most one partial line or KEXINIT and maxPending bytes of out-of-order data,
// and nothing after NEWKEYS.
package analyze
