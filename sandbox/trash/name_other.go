//go:build !linux

package trash

func nameProcess(string) {}
