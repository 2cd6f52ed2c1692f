// Package record keeps the packets of the connections that ended
// abnormally (rstsniff's -w): a pipeline.Recorder that copies each frame of
// a connection the analyzer follows, bounded per connection, and writes a
// connection's frames to a pcapng file once its verdict says it ended
// abnormally (analyze.Flow.Notable). The file is written beside its target
// and renamed over it on Close (internal/atomicfile).
//
// Writer is the recorder of -r and -i; Held holds every connection's
// frames past its verdict until the caller picks (rstsniff run keeps its
// command's connections only).
//
// Goroutines: Add is called on the pipeline's packet loop, Done from the
// goroutine that judges; files read in parallel share one Writer, which
// locks its mutex.
package record
