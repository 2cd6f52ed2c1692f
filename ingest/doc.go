// Package ingest runs capture files through the pipeline into the results
// report renders: each file (rstsniff -r, --correlate, the probe's own
// capture) read by packet time into its own analyzer, several at once up
// to Config.Jobs with their flows handed over file by file in order, each
// file's report.Input with the pipeline's facts as report.InputSkips
// (which report words as its warnings); the server's logs read and joined
// to the connections judged (each capture's for --correlate:
// JoinServerLogs), and the connections a listing shows chosen (List as the
// sink of -r; ListWithLog beside the server's log); a live capture judged
// on the caller's goroutine (Live: rstsniff -i); and one judged on a
// goroutine of its own while a command runs (Background: rstsniff run's),
// and run's sequence once the command has ended (CommandEnded: its own
// connections picked, -w keeping only theirs and closed, its standard
// error read and joined to its connection; CommandReport: -o's report of
// them).
//
// It is orchestration, not analysis (analyze judges, pipeline moves the
// packets, sshdlog reads and joins the log) and not output: it renders
// nothing and holds no flags; cmd/rstsniff builds its Config from them.
//
// Goroutines: Files reads each file on the caller's goroutine, or with
// several files, Jobs > 1, no packet limit and no standard input, one
// goroutine per file at a time, which keeps its flows (the first file's go
// straight to the sink) until every file is read; the caller's goroutine
// then passes them to the sink, file by file, so the sink is called from
// one goroutine at a time and the output is the one a serial run prints.
// The -w recorder (pipeline/record) is shared and locks its mutex. A
// progress bar's goroutine (internal/term) owns the terminal line on the
// stderr given while a large file is read. A Background's goroutine runs
// the pipeline and owns the flows it keeps until Stop waits for it.
package ingest
