// Launcher: see ARCHITECTURE.md for what this module owns. Its code arrives with the issue that builds it;
// until then it holds nothing that could pretend to work.
