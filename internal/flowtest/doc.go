// Package flowtest gives tests the analysed flows of a capture: the file
// read through the pipeline by packet time, as rstsniff -r reads it, the
// flows in order of their first packet. The zero analyze.Config is the
// command's defaults (port 22, default thresholds); set Ports as --ports
// would. Tests that check the command's output instead read its JSON lines
// (cmd/rstsniff's readjson_test.go).
//
// It imports only the packages below the command (analyze, capture,
// pipeline), so the tests of any package above them may use it.
package flowtest
