package resultstore

import (
	"context"
	"sync"
	"time"
)

// WriteQueue runs background writes (a variant to result storage after its
// response; originals to source storage later) on a fixed number of
// workers with a bounded backlog. A write that finds the backlog full is
// dropped and counted, never waited for: a slow or failing store can cost
// at most Workers running writes and Backlog waiting ones, whatever the
// request rate. A dropped variant is simply made again on a later miss.
type WriteQueue struct {
	jobs    chan job
	timeout time.Duration
	onError func(name string, err error)
	onDrop  func()

	// mu orders Enqueue against Close: no send on a closed channel.
	mu     sync.RWMutex
	closed bool

	ctx     context.Context
	cancel  context.CancelFunc
	workers sync.WaitGroup
}

type job struct {
	name  string
	write func(ctx context.Context) error
}

// WriteQueueConfig sizes a WriteQueue; zero fields take the defaults.
type WriteQueueConfig struct {
	// Workers is the number of writes running at once. Default 4.
	Workers int
	// Backlog is the number of writes waiting for a worker. Default 64.
	Backlog int
	// Timeout bounds one write. Default 1 minute.
	Timeout time.Duration
	// OnError is told of each failed write (for the log); may be nil.
	OnError func(name string, err error)
	// OnDrop is told of each dropped write (for metrics): refused by a
	// full backlog or a closed queue, or abandoned by Close. May be nil.
	OnDrop func()
}

// Defaults of WriteQueueConfig.
const (
	DefaultWriteWorkers = 4
	DefaultWriteBacklog = 64
	DefaultWriteTimeout = time.Minute
)

// NewWriteQueue starts the workers. Close stops them.
func NewWriteQueue(cfg WriteQueueConfig) *WriteQueue {
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWriteWorkers
	}
	if cfg.Backlog <= 0 {
		cfg.Backlog = DefaultWriteBacklog
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultWriteTimeout
	}
	q := &WriteQueue{
		jobs:    make(chan job, cfg.Backlog),
		timeout: cfg.Timeout,
		onError: cfg.OnError,
		onDrop:  cfg.OnDrop,
	}
	q.ctx, q.cancel = context.WithCancel(context.Background())
	for range cfg.Workers {
		q.workers.Go(q.work)
	}
	return q
}

func (q *WriteQueue) work() {
	for j := range q.jobs {
		if q.ctx.Err() != nil {
			// Abandoned by Close: count what is left without running it.
			q.drop()
			continue
		}
		ctx, cancel := context.WithTimeout(q.ctx, q.timeout)
		err := j.write(ctx)
		cancel()
		if err != nil && q.onError != nil {
			q.onError(j.name, err)
		}
	}
}

// Enqueue schedules write, named for the log; it never blocks. It reports
// false, and counts a drop, when the backlog is full or the queue is
// closed.
func (q *WriteQueue) Enqueue(name string, write func(ctx context.Context) error) bool {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if !q.closed {
		select {
		case q.jobs <- job{name: name, write: write}:
			return true
		default:
		}
	}
	q.drop()
	return false
}

func (q *WriteQueue) drop() {
	if q.onDrop != nil {
		q.onDrop()
	}
}

// Close stops accepting writes and lets the backlog drain for at most
// grace; then the writes still running are cancelled and those still
// waiting are dropped. It returns when every worker has stopped. Calling it
// more than once is harmless.
func (q *WriteQueue) Close(grace time.Duration) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.closed = true
	close(q.jobs)
	q.mu.Unlock()

	done := make(chan struct{})
	go func() { q.workers.Wait(); close(done) }()
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		q.cancel()
		<-done
	}
	q.cancel()
}
