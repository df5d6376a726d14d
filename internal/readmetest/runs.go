package readmetest

import (
	"regexp"
	"strings"
)

// goBlock is a ```go block of Markdown, its code in the first group.
var goBlock = regexp.MustCompile("(?s)\n```go\n(.*?\n)```\n")

// GoBlocks returns the code of every ```go block of text, in order, each
// line with its newline.
func GoBlocks(text string) []string {
	var blocks []string
	for _, m := range goBlock.FindAllStringSubmatch(text, -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

// IsRunOf reports whether code is a run of whole, consecutive lines of src,
// each indented by the same number of tabs (0 to 3) more than in code:
// stricter than LinesIn, for code a README shows whole, such as a before
// and an after that must stay exactly what an example compiles.
func IsRunOf(code, src string) bool {
	for indent := ""; len(indent) <= 3; indent += "\t" {
		var b strings.Builder
		for line := range strings.SplitSeq(strings.TrimSuffix(code, "\n"), "\n") {
			if line != "" {
				line = indent + line
			}
			b.WriteString(line + "\n")
		}
		if strings.Contains("\n"+src+"\n", "\n"+b.String()) {
			return true
		}
	}
	return false
}
