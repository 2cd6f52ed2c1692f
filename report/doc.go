// Package report turns analysis results into text for people and tools:
// a table for the terminal, JSON lines, Markdown and HTML. It is the only
// package that speaks: analyze, correlate, sshdlog, probe, kernel, runcmd
// and explain return facts (typed evidence, findings with their facts,
// typed changes), and every sentence about them is made here, in one place
// per fact, so that a fact reads the same in every format. Everything it
// prints that came off the network (or out of a log, or a command's
// output) is escaped.
//
// # Layout: one group of files per witness
//
// Each witness has one view, a struct of already-worded values built once,
// and every format lays out that view instead of calling the wording
// functions again. Files are named by their witness's prefix:
//
//   - Shared: report.go (Run, Input, Tally: what one invocation found),
//     escape.go (Safe for terminals, the Markdown escapers; HTML is
//     html/template's, after Safe), page.go (Section: a witness's part of a
//     Markdown or HTML page; the HTML head, style sheet and the page
//     templates' functions), jsonenc.go (the JSON line encoder every
//     witness's lines use), schema.go, format.go (Format: the output
//     format, parsed once by each command), write.go (one entry per
//     witness that writes its results in a Format, so a command calls one
//     function whatever --format said: WriteFlows, StreamFlow and
//     WriteSummary for connections, WriteCorrelation, WriteProbe,
//     WriteRun), input_warnings.go (an input's warnings: frames skipped,
//     connections reported early).
//   - Connections (one capture's judged flows): words.go (evidence,
//     findings, notes and advice in sentences), flows_headline.go (the
//     one-line verdict, who sent a reset), flows_words.go (the verdict
//     paragraph, the packets worth showing, the table cells Markdown and
//     HTML share), flows_client.go (what the OpenSSH client printed);
//     flows_view.go (reportView, flowView: the view), then its formats:
//     flows_table.go (the terminal's table, summary, --explain, live
//     lines), flows_markdown.go, flows_html.go and flows_ladder.go (the
//     page and its SVG ladder), json.go and json_evidence.go (JSON lines),
//     flows_ecs.go (ECS documents), flows_otlp.go (OTLP log records).
//   - Comparison of two captures (--correlate): correlate.go
//     (Correlation), correlate_words.go, correlate_view.go (pairView: the
//     view), correlate_table.go, correlate_markdown.go, correlate_html.go,
//     correlate_json.go.
//   - Server log (--sshd-log, --fail2ban-log): sshdlog.go (ServerLog, the
//     findings' words, the summary of what the logs held),
//     sshdlog_view.go (serverLogView: the view), sshdlog_text.go (the
//     terminal: ServerLogExplain, ServerLogCaptureTable, ServerLogStream),
//     sshdlog_section.go (ServerLogSection for Markdown and HTML pages),
//     sshdlog_json.go (JSON lines).
//   - Smaller witnesses, whose one rendering in words is the view the
//     other formats wrap: probe.go (the probe's sockets, MTU check,
//     --locate's hops), probe_locate.go (why --locate runs or not;
//     ProbeSection and the probe-only page), kernel.go and kernel_rules.go
//     (the host's kernel: resets it sent, the firewall rule, dropped
//     packets), run.go (rstsniff run: RunLines, RunSection, RunFacts as a
//     section, RunJSON), explain.go (rstsniff explain).
//
// Templates and the style sheets are embedded files under templates/; each
// page's template is parsed on first use (sync.OnceValue), so a run that
// prints no HTML does not pay for it at start-up.
//
// # Pages take sections
//
// A Markdown or HTML report is one page: Markdown and HTML (connections)
// or CorrelationMarkdown and CorrelationHTML (comparison) render their own
// content, then the sections they are given, in order, before the page's
// end: ServerLogSection, *RunFacts, *ProbeSection. No page is finished and
// then cut open to insert another witness's part.
//
// Ownership: report keeps no state between calls. A Run is read, never
// written, by the renderers; JSONFlow may be called from one goroutine
// while another analyses (it borrows line buffers from a sync.Pool).
package report
