package cmd

import (
	"io/fs"

	"github.com/dockling/dockling/content"
)

// embeddedLessons are the lessons built into dockling.
func embeddedLessons() fs.FS { return content.FS }
