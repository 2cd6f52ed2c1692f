// Package docgen writes a command's man page (roff) and its bash, zsh and
// fish completions from one description of the program: a Page whose
// Commands each carry their own *pflag.FlagSet. The flags are read from
// the flag sets the command parses with, so the documents cannot drift
// from them: every visible flag of every command appears in all four
// outputs, hidden flags in none.
//
// Data contract: a Page is plain data that the caller builds and docgen
// only reads (the flag sets are visited, never parsed). Prose fields are
// plain text, escaped for each output here (roff, zsh and fish quoting);
// in a synopsis and in a section item's term, a word in capitals (FILE,
// HOST, COMMAND) is a placeholder, set in italics. The outputs are
// deterministic: commands in the Page's order, flags in the order their
// flag set visits them (set SortFlags false for definition order).
// Names that end up as shell words (commands, flags, value words) are
// checked first; a Page that would make a broken script is an error, not
// a script.
//
// A Page's structure and prose may be files: Load reads it from a JSON
// file (sections, which text file goes where, each command's synopsis,
// the words its flags take) beside its text files, in an fs.FS (the
// command's embedded help/), and leaves the caller to add each command's
// summary and flag set (Text finds a command by name).
//
// Files: docgen.go the Page and the flags as the generators see them,
// load.go the Page from a JSON file, man.go the man page, bash.go, zsh.go and fish.go the completions.
// Package docgentest checks the outputs with groff and the shells, and
// cuts them into each command's part, for tests here and of the command.
package docgen
