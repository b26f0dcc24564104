package sqsbatch_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/sqsbatch"
	"github.com/batchutils/batchutils/testutil"
)

// benchMessages is the number of messages each benchmark round sends: a
// fresh queue per round, so that moto's cost per message (which grows with
// the messages a queue holds) is the same for both contenders.
const benchMessages = 1000

// BenchmarkMoto measures messages/s to a local moto_server, ours against a
// raw SDK loop (SendMessageBatch calls of 10, as many goroutines as our
// MaxInFlight), for a standard queue and a FIFO queue with 1 and 16 message
// groups. It skips without BATCHUTILS_MOTO_ENDPOINT (or BATCHUTILS_SQS_ENDPOINT).
//
//	internal/moto/run.sh go test -run '^$' -bench Moto -benchtime 3x ./sqsbatch/
func BenchmarkMoto(b *testing.B) {
	endpoint := testutil.SQSEndpoint(b)
	client := testutil.NewSQSClient(b, endpoint, testutil.ClientOptions{})
	const inFlight = 8
	for _, kind := range []struct {
		name   string
		fifo   bool
		groups int
	}{{"standard", false, 0}, {"fifo-1-group", true, 1}, {"fifo-16-groups", true, 16}} {
		msg := func(i int) sqsbatch.Message {
			m := sqsbatch.Message{Body: fmt.Sprintf(`{"id":%d,"payload":"abcdefghijklmnopqrstuvwxyz0123456789"}`, i)}
			if kind.fifo {
				m.GroupID = "g" + strconv.Itoa(i%kind.groups)
				m.DeduplicationID = strconv.Itoa(i)
			}
			return m
		}
		b.Run(kind.name+"/impl=ours", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				url := testutil.CreateQueue(b, client, testutil.QueueOptions{FIFO: kind.fifo})
				b.StartTimer()
				d, err := sqsbatch.New[sqsbatch.Message](client, sqsbatch.Config{QueueURL: url, Batch: batch.Config{MaxInFlight: inFlight}})
				if err != nil {
					b.Fatal(err)
				}
				for i := range benchMessages {
					if err := d.Send(context.Background(), msg(i)); err != nil {
						b.Fatal(err)
					}
				}
				if err := d.Close(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*benchMessages)/b.Elapsed().Seconds(), "msgs/s")
		})
		b.Run(kind.name+"/impl=raw", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				url := testutil.CreateQueue(b, client, testutil.QueueOptions{FIFO: kind.fifo})
				b.StartTimer()
				rawSend(b, client, url, inFlight, kind.fifo, kind.groups, msg)
			}
			b.ReportMetric(float64(b.N*benchMessages)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// rawSend is what a hand-written loop does: batches of 10 in submission
// order, sent by inFlight goroutines; on a FIFO queue each group goes to one
// goroutine, so that its batches stay in order. Failed entries are counted
// as errors, not retried.
func rawSend(b *testing.B, client *sqs.Client, url string, inFlight int, fifo bool, groups int, msg func(int) sqsbatch.Message) {
	lanes := make([]chan []types.SendMessageBatchRequestEntry, inFlight)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for l := range lanes {
		lanes[l] = make(chan []types.SendMessageBatchRequestEntry, 4)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for entries := range lanes[l] {
				out, err := client.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
				if err != nil {
					failed.Add(int64(len(entries)))
					continue
				}
				failed.Add(int64(len(out.Failed)))
			}
		}()
	}
	nLanes := inFlight
	if fifo {
		nLanes = min(inFlight, groups)
	}
	pending := make([][]types.SendMessageBatchRequestEntry, nLanes)
	next := 0
	for i := range benchMessages {
		m := msg(i)
		lane := next
		if fifo {
			lane = i % groups % nLanes
		}
		e := types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(len(pending[lane]))), MessageBody: aws.String(m.Body)}
		if fifo {
			e.MessageGroupId = aws.String(m.GroupID)
			e.MessageDeduplicationId = aws.String(m.DeduplicationID)
		}
		pending[lane] = append(pending[lane], e)
		if len(pending[lane]) == 10 {
			lanes[lane] <- pending[lane]
			pending[lane] = nil
			if !fifo {
				next = (next + 1) % nLanes
			}
		}
	}
	for l, p := range pending {
		if len(p) > 0 {
			lanes[l] <- p
		}
	}
	for _, l := range lanes {
		close(l)
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		b.Fatalf("raw loop: %d messages failed", n)
	}
}
