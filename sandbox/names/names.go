// Package names makes container names shaped like Docker's: adjective_surname, with
// surnames of people who shaped computing and science.
package names

import (
	"math/rand/v2"
	"strconv"
)

var adjectives = []string{
	"agile", "amazing", "bold", "brave", "bright", "calm", "careful", "cheerful", "clever",
	"curious", "daring", "dazzling", "eager", "earnest", "elegant", "epic", "fearless",
	"festive", "focused", "friendly", "gallant", "gentle", "gifted", "glad", "happy",
	"hopeful", "humble", "inspiring", "jolly", "keen", "kind", "lively", "loving", "lucid",
	"merry", "modest", "nifty", "noble", "patient", "peaceful", "playful", "polite",
	"proud", "quick", "quiet", "radiant", "relaxed", "serene", "sharp", "silly", "sleepy",
	"smart", "steady", "sunny", "swift", "tender", "thirsty", "tidy", "trusting", "upbeat",
	"vibrant", "vigilant", "warm", "wise", "witty", "youthful", "zealous", "zen",
}

var surnames = []string{
	"allen", "babbage", "backus", "bardeen", "bell", "borg", "brattain",
	"cerf", "clarke", "codd", "conway", "curie", "darwin", "dijkstra", "einstein",
	"engelbart", "euler", "faraday", "feynman", "franklin", "galileo", "goldberg",
	"goodall", "hamilton", "hawking", "hoare", "hodgkin", "hopper", "hypatia", "johnson", "kahn",
	"kare", "kepler", "kernighan", "knuth", "lamarr", "lamport", "leakey", "liskov",
	"lovelace", "mccarthy", "meitner", "mirzakhani", "morse", "newton", "nobel", "noether",
	"pascal", "pasteur", "perlman", "pike", "ritchie", "sammet", "shannon", "shockley",
	"sinoussi", "stallman", "tesla", "thompson", "torvalds", "turing", "wilson", "wozniak",
	"wright", "yalow", "yonath",
}

// Generate returns a random name. retry > 0 appends a digit, as Docker does when a
// name is taken.
func Generate(retry int) string {
	n := adjectives[rand.IntN(len(adjectives))] + "_" + surnames[rand.IntN(len(surnames))]
	if retry > 0 {
		n += strconv.Itoa(rand.IntN(10))
	}
	return n
}
