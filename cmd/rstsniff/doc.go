// Command rstsniff reads SSH traffic captures, or captures live, and says
// who reset each connection, at which step, and how it ended.
//
// The command holds flags and wiring; the logic lives in the packages it
// calls: ingest (capture files read into report's results, the server's
// log joined, the live capture's loop, rstsniff run's capture on a
// goroutine), pipeline (the packet
// loop both inputs share), pipeline/record (-w), kernel/watch (the kernel
// witness), sshdlog (reading and following the server's log),
// probe/session (rstsniff probe's whole sequence: capture, judge, --locate),
// runcmd (rstsniff run), report (every word, and one entry per witness
// that writes it in a report.Format, parsed once). main sets up the
// signals and calls run, which dispatches from commands, the one table of
// rstsniff's commands (name, one-line summary, flag set, run function:
// main.go). A run's error carries the exit status (exitWith,
// exitStatusError; the one conversion is exitStatus: exit.go). Files by
// role: flags.go parses and checks the options of reading and capturing
// (mainFlags), offline.go reads capture files, live.go captures live,
// correlate.go compares two captures, sshdlog.go and sshdlog_live.go join
// the server's log, probe.go, run_command.go and explain.go are the other
// commands, kernel.go words what the kernel witness found at its start,
// otlp.go starts --otlp's sender (otlp.Flows),
// output.go checks -o and -w, version.go says the version
// (internal/buildinfo), docgen.go feeds the man page and completions
// (internal/docgen); the long fixed texts (usage lines, the man page's
// prose and examples) are files in help/, embedded. internal/lines and
// internal/term are the output's helpers. No package-level
// state: what a run shares (the options, the recorder, the sink's numbering
// and tally) lives in run and the functions it calls, and goes with it.
//
// Goroutines and what each owns:
//   - run's goroutine parses the flags, opens the outputs, and in the
//     end renders the report from the report.Run it alone writes once the
//     inputs are read.
//   - Capture files are read by ingest.Files (its doc says on which
//     goroutines); the sink run gives it numbers flows and fills the
//     tally, and is called from one goroutine at a time.
//   - With --format json or ecs a goroutine of its own (internal/lines)
//     owns the buffered writer on standard output and encodes the flows
//     sent to it.
//   - A progress bar's goroutine (internal/term) owns the terminal line on
//     standard error while a large file is read.
//   - The -w recorder (pipeline/record) is shared by files read in
//     parallel and locks its mutex.
//   - A live capture runs on run's goroutine alone (the metrics server's
//     goroutines are package metrics', the kernel witness's kernel/watch's,
//     the log followers' sshdlog's).
//   - rstsniff run -- COMMAND (run_command.go): the capture's pipeline runs
//     on a goroutine of its own (ingest.Background), which owns the flows it
//     keeps until stop waits for it; runcmd/runner's goroutines run the
//     command meanwhile.
package main
