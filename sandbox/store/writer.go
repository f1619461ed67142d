package store

// Writer changes the store; it exists only inside Write, under the writer lock.
type Writer struct{ s *Store }

// Write runs fn holding the store's exclusive writer lock, so concurrent dockling
// processes never interleave their changes.
func (s *Store) Write(fn func(w *Writer) error) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	return fn(&Writer{s: s})
}

// Store gives the writer's store, for reads inside Write.
func (w *Writer) Store() *Store { return w.s }
