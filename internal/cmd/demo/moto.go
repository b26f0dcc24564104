package main

// The sections of the four backends that moto serves besides SQS: each puts
// -moto-n items through its Dispatcher into a new resource on the local
// moto_server ($BATCHUTILS_MOTO_ENDPOINT), with a progress line, prints the
// items/s and the calls, reads back what the server lets it count cheaply,
// and deletes what it made.
//
//	cloudwatch   data into a new namespace; read back: GetMetricStatistics
//	firehose     JSON lines into a Direct PUT stream to a new S3 bucket;
//	             read back: the bucket's objects, line by line
//	eventbridge  events onto a new bus; not read back (see runEventBridge)
//	sns          messages to a new topic; not read back (see runSNS)

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/cloudwatchbatch"
	"github.com/batchutils/batchutils/eventbridgebatch"
	"github.com/batchutils/batchutils/firehosebatch"
	"github.com/batchutils/batchutils/snsbatch"
	"github.com/batchutils/batchutils/testutil"
)

const (
	// defaultMotoN is -moto-n's default, smaller than -n's: moto, a Python
	// server, takes 1,500 to 2,000 items a second from CloudWatch,
	// EventBridge and SNS calls, so each section takes seconds.
	defaultMotoN = 10_000
	// cloudWatchBatch is the data a PutMetricData call carries here, not
	// CloudWatch's 1,000: moto's time grows with the square of a call's
	// data (1,000 take several seconds).
	cloudWatchBatch = 100
	// demoSource and demoDetailType are the EventBridge events'.
	demoSource, demoDetailType = "batchutils.demo", "Order"
)

// localEndpoint returns the URL in $env for the section named name, or ""
// when the section is to be skipped, with the status to return: with -aws
// (these sections run against a local server only), and without the
// variable, where it says so, and fails if -backends asked for the section.
func localEndpoint(opts options, env, name string, stderr io.Writer) (string, int) {
	endpoint := os.Getenv(env)
	switch {
	case opts.useAWS:
		return "", exitOK
	case endpoint != "":
		return endpoint, exitOK
	}
	fmt.Fprintf(stderr, "demo: no %s section: $%s is not set (make demo sets it)\n", name, env)
	if opts.picked {
		return "", exitUsage
	}
	return "", exitOK
}

// motoSection is what runMotoSection needs of one backend's section, made
// once its resource exists.
type motoSection struct {
	kind string // what the items go into: "namespace", "stream", ...
	name string // its name
	noun string // what an item is called: "data", "records", ...
	call string // the API call: "PutMetricData", ...
	note string // said after the concurrency on the rate line, if set

	stats func() batch.Stats
	put   func(ctx context.Context, i int) error // puts the i-th item
	close func(ctx context.Context) error
	// readBack counts the items the server holds and says how; nil where
	// the server gives no cheap way, which noReadBack says.
	readBack   func(ctx context.Context) (count int64, how string, err error)
	noReadBack string
}

// runMotoSection puts opts.motoN items through s with a progress line,
// prints the rate, the calls and the Stats, reads the count back, and
// returns the exit status.
func runMotoSection(ctx context.Context, opts options, endpoint string, s motoSection, stdout, stderr io.Writer) int {
	n := opts.motoN
	fmt.Fprintf(stderr, "demo: putting %s %s into %s %s with %d calls in flight\n", thousands(int64(n)), s.noun, s.kind, s.name, opts.concurrency)
	start := time.Now()
	prog := startProgressOf(stderr, "put", s.noun, s.stats, n, start)
	var putErr error
	for i := 0; i < n && putErr == nil; i++ {
		if putErr = ctx.Err(); putErr == nil {
			putErr = s.put(ctx, i)
		}
	}
	closeErr := closeWithGrace(ctx, s.close, stderr)
	elapsed := time.Since(start)
	prog.stop()

	st := s.stats()
	status := exitOK
	if putErr != nil && ctx.Err() == nil {
		fmt.Fprintln(stderr, "demo: Put:", putErr)
		status = exitFailed
	}
	if closeErr != nil {
		fmt.Fprintln(stderr, "demo: Close:", closeErr) // a *batch.FailedError says how many, and the first cause
		status = exitFailed
	}
	how := fmt.Sprintf("concurrency %d", opts.concurrency)
	if s.note != "" {
		how += ", " + s.note
	}
	fmt.Fprintf(stdout, "%-11s %s on %s\n", s.kind, s.name, endpoint)
	fmt.Fprintf(stdout, "put         %s of %s %s in %v: %s %s/s (%s)\n",
		thousands(st.Written), thousands(int64(n)), s.noun, elapsed.Round(time.Millisecond),
		thousands(int64(float64(st.Written)/elapsed.Seconds())), s.noun, how)
	fmt.Fprintf(stdout, "calls       %s %s calls, %s %s each on average\n",
		thousands(st.Batches), s.call, strconv.FormatFloat(float64(st.Submitted)/float64(max(st.Batches, 1)), 'f', 1, 64), s.noun)
	fmt.Fprintf(stdout, "stats       submitted %s, written %s, failed %s, rejected %s, retries %s, throttled %s\n",
		thousands(st.Submitted), thousands(st.Written), thousands(st.Failed),
		thousands(st.Rejected), thousands(st.Retries), thousands(st.Throttled))
	if ctx.Err() != nil {
		fmt.Fprintf(stdout, "interrupted: %s %s not put\n", thousands(int64(n)-st.Written), s.noun)
		return exitInterrupted
	}
	if s.readBack == nil {
		fmt.Fprintf(stdout, "read back   none: %s\n", s.noReadBack)
	} else {
		count, how, err := s.readBack(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "demo: reading back:", err)
			return statusOf(ctx, exitFailed)
		}
		fmt.Fprintf(stdout, "read back   %s %s (%s)\n", thousands(count), s.noun, how)
		if count != int64(n) {
			fmt.Fprintf(stdout, "FAIL: the server holds %s of this run's %s, want %s\n", thousands(count), s.noun, thousands(int64(n)))
			return exitFailed
		}
	}
	if status != exitOK {
		fmt.Fprintln(stdout, "FAIL")
		return status
	}
	fmt.Fprintln(stdout, "ok")
	return exitOK
}

// motoParts are the parts of a client of the local moto_server: dummy
// credentials and an HTTP client that keeps a connection per call in flight.
func motoParts(opts options) (aws.CredentialsProvider, aws.HTTPClient) {
	creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "demo", SecretAccessKey: "demo", Source: "demo dummy credentials"}, nil
	})
	return creds, awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConnsPerHost = opts.concurrency + 2
	})
}

// batchConfig is the batch.Config of every section: opts.concurrency calls
// in flight, and with -v a logger of retries and failures.
func batchConfig(opts options, stderr io.Writer) batch.Config {
	cfg := batch.Config{MaxInFlight: opts.concurrency}
	if opts.verbose {
		cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return cfg
}

// cleanup runs fn, which deletes what a section made, with a context of its
// own (the run's may have ended), and says how it went.
func cleanup(stderr io.Writer, what string, fn func(ctx context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	if err := fn(ctx); err != nil {
		fmt.Fprintf(stderr, "demo: deleting %s: %v\n", what, err)
		return
	}
	fmt.Fprintf(stderr, "demo: deleted %s\n", what)
}

// runCloudWatch puts -moto-n data, one per order (its price, in a metric of
// its product), into a new namespace, and reads their count back with
// GetMetricStatistics. Namespaces are made by their first datum and cannot
// be deleted: moto forgets them when it stops.
func runCloudWatch(ctx context.Context, opts options, stdout, stderr io.Writer) int {
	endpoint, status := localEndpoint(opts, sqsEndpointEnv, "cloudwatch", stderr)
	if endpoint == "" {
		return status
	}
	creds, httpClient := motoParts(opts)
	// moto 5.2.1 reads the query protocol only, not the SDK's default CBOR.
	client := cloudwatch.New(cloudwatch.Options{Region: opts.region, BaseEndpoint: aws.String(endpoint), Credentials: creds, HTTPClient: httpClient},
		testutil.CloudWatchQueryProtocol)
	ns := "batchutils-demo/" + randomHex(4)
	cfg := batchConfig(opts, stderr)
	cfg.MaxBatchItems = cloudWatchBatch
	d, err := cloudwatchbatch.New(client, cloudwatchbatch.Config{Namespace: ns, Batch: cfg})
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return exitUsage
	}
	start := time.Now()
	return runMotoSection(ctx, opts, endpoint, motoSection{
		kind: "namespace", name: ns, noun: "data", call: "PutMetricData",
		note:  fmt.Sprintf("calls of %d data, not 1,000: moto's time grows with their square", cloudWatchBatch),
		stats: d.Stats, close: d.Close,
		put: func(ctx context.Context, i int) error {
			o := newOrder("", i, start)
			return d.Put(ctx, cwtypes.MetricDatum{
				MetricName: aws.String("price"),
				Dimensions: []cwtypes.Dimension{{Name: aws.String("product"), Value: aws.String(o.Product)}},
				Value:      aws.Float64(float64(o.PriceCents) / 100),
				Unit:       cwtypes.StandardUnitNone,
			})
		},
		readBack: func(ctx context.Context) (int64, string, error) {
			var count float64
			for _, p := range products {
				out, err := client.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{
					Namespace:  aws.String(ns),
					MetricName: aws.String("price"),
					Dimensions: []cwtypes.Dimension{{Name: aws.String("product"), Value: aws.String(p)}},
					StartTime:  aws.Time(start.Add(-time.Minute)),
					EndTime:    aws.Time(time.Now().Add(time.Minute)),
					Period:     aws.Int32(60),
					Statistics: []cwtypes.Statistic{cwtypes.StatisticSampleCount},
				})
				if err != nil {
					return int64(count), "", err
				}
				for _, dp := range out.Datapoints {
					count += aws.ToFloat64(dp.SampleCount)
				}
			}
			return int64(count), fmt.Sprintf("GetMetricStatistics SampleCount of %d metrics", len(products)), nil
		},
	}, stdout, stderr)
}

// runFirehose puts -moto-n orders, as JSON lines, into a new Direct PUT
// delivery stream to a new S3 bucket, and counts the lines of the bucket's
// objects: moto delivers each PutRecordBatch call at once, as one object.
func runFirehose(ctx context.Context, opts options, stdout, stderr io.Writer) int {
	endpoint, status := localEndpoint(opts, sqsEndpointEnv, "firehose", stderr)
	if endpoint == "" {
		return status
	}
	creds, httpClient := motoParts(opts)
	fh := firehose.New(firehose.Options{Region: opts.region, BaseEndpoint: aws.String(endpoint), Credentials: creds, HTTPClient: httpClient})
	s3c := s3.New(s3.Options{Region: opts.region, BaseEndpoint: aws.String(endpoint), Credentials: creds, HTTPClient: httpClient,
		UsePathStyle: true}) // the bucket in the path, as a local server needs
	name := "batchutils-demo-" + randomHex(4)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		fmt.Fprintf(stderr, "demo: creating bucket %s: %v\n", name, err)
		return statusOf(ctx, exitFailed)
	}
	defer cleanup(stderr, "bucket "+name, func(ctx context.Context) error { return deleteBucket(ctx, s3c, name) })
	_, err := fh.CreateDeliveryStream(ctx, &firehose.CreateDeliveryStreamInput{
		DeliveryStreamName: aws.String(name),
		DeliveryStreamType: fhtypes.DeliveryStreamTypeDirectPut,
		ExtendedS3DestinationConfiguration: &fhtypes.ExtendedS3DestinationConfiguration{
			BucketARN: aws.String("arn:aws:s3:::" + name),
			RoleARN:   aws.String("arn:aws:iam::123456789012:role/batchutils-demo"),
		},
	})
	if err != nil {
		fmt.Fprintf(stderr, "demo: creating delivery stream %s: %v\n", name, err)
		return statusOf(ctx, exitFailed)
	}
	fmt.Fprintf(stderr, "demo: created delivery stream %s into bucket %s on %s\n", name, name, endpoint)
	defer cleanup(stderr, "delivery stream "+name, func(ctx context.Context) error {
		_, err := fh.DeleteDeliveryStream(ctx, &firehose.DeleteDeliveryStreamInput{DeliveryStreamName: aws.String(name)})
		return err
	})
	// Firehose concatenates the records it delivers: each is a JSON line.
	d, err := firehosebatch.New[[]byte](fh, firehosebatch.Config{DeliveryStream: name, Batch: batchConfig(opts, stderr)})
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return exitUsage
	}
	runID := "demo-" + randomHex(4)
	start := time.Now()
	return runMotoSection(ctx, opts, endpoint, motoSection{
		kind: "stream", name: name, noun: "records", call: "PutRecordBatch",
		note:  "JSON lines, delivered to bucket " + name,
		stats: d.Stats, close: d.Close,
		put: func(ctx context.Context, i int) error {
			line, err := json.Marshal(newOrder(runID, i, start))
			if err != nil {
				return err
			}
			return d.Put(ctx, append(line, '\n'))
		},
		readBack: func(ctx context.Context) (int64, string, error) {
			var lines, objects int64
			pages := s3.NewListObjectsV2Paginator(s3c, &s3.ListObjectsV2Input{Bucket: aws.String(name)})
			for pages.HasMorePages() {
				page, err := pages.NextPage(ctx)
				if err != nil {
					return lines, "", err
				}
				for _, o := range page.Contents {
					obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(name), Key: o.Key})
					if err != nil {
						return lines, "", err
					}
					b, err := io.ReadAll(obj.Body)
					obj.Body.Close()
					if err != nil {
						return lines, "", err
					}
					objects++
					lines += int64(bytes.Count(b, []byte("\n")))
				}
			}
			return lines, fmt.Sprintf("lines of the %s objects of bucket %s", thousands(objects), name), nil
		},
	}, stdout, stderr)
}

// deleteBucket deletes the objects of a bucket, then the bucket.
func deleteBucket(ctx context.Context, client *s3.Client, bucket string) error {
	pages := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return err
		}
		if len(page.Contents) == 0 {
			continue
		}
		ids := make([]s3types.ObjectIdentifier, len(page.Contents))
		for i, o := range page.Contents {
			ids[i] = s3types.ObjectIdentifier{Key: o.Key}
		}
		if _, err := client.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &s3types.Delete{Objects: ids}}); err != nil {
			return err
		}
	}
	_, err := client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(bucket)})
	return err
}

// runEventBridge puts -moto-n orders, each the detail of an event, onto a
// new event bus. moto keeps no events of its own: an archive, or any other
// target of a rule, would keep them, but moto resolves eight JSON paths for
// each event it delivers to one, at some 25 ms a path; the count of events
// put is EventBridge's answers' (Stats.Written).
func runEventBridge(ctx context.Context, opts options, stdout, stderr io.Writer) int {
	endpoint, status := localEndpoint(opts, sqsEndpointEnv, "eventbridge", stderr)
	if endpoint == "" {
		return status
	}
	creds, httpClient := motoParts(opts)
	client := eventbridge.New(eventbridge.Options{Region: opts.region, BaseEndpoint: aws.String(endpoint), Credentials: creds, HTTPClient: httpClient})
	bus := "batchutils-demo-" + randomHex(4)
	_, err := client.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)})
	if err != nil {
		fmt.Fprintf(stderr, "demo: creating event bus %s: %v\n", bus, err)
		return statusOf(ctx, exitFailed)
	}
	defer cleanup(stderr, "event bus "+bus, func(ctx context.Context) error {
		_, err := client.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String(bus)})
		return err
	})
	fmt.Fprintf(stderr, "demo: created event bus %s on %s\n", bus, endpoint)
	d, err := eventbridgebatch.New[Order](client, eventbridgebatch.Config{EventBus: bus, Source: demoSource, DetailType: demoDetailType,
		Batch: batchConfig(opts, stderr)})
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return exitUsage
	}
	runID := "demo-" + randomHex(4)
	start := time.Now()
	return runMotoSection(ctx, opts, endpoint, motoSection{
		kind: "bus", name: bus, noun: "events", call: "PutEvents",
		stats: d.Stats, close: d.Close,
		put: func(ctx context.Context, i int) error {
			return d.Put(ctx, newOrder(runID, i, start))
		},
		noReadBack: "moto delivers an event to any target of a rule, an archive too, at about 200 ms an event; written is what PutEvents answered",
	}, stdout, stderr)
}

// runSNS publishes -moto-n orders, as JSON bodies, to a new topic. moto
// keeps a topic's messages for its subscribers only, and a subscribed SQS
// queue would cost moto more than the publishing: the count of published
// messages is SNS's answers' (Stats.Written).
func runSNS(ctx context.Context, opts options, stdout, stderr io.Writer) int {
	endpoint, status := localEndpoint(opts, sqsEndpointEnv, "sns", stderr)
	if endpoint == "" {
		return status
	}
	creds, httpClient := motoParts(opts)
	client := sns.New(sns.Options{Region: opts.region, BaseEndpoint: aws.String(endpoint), Credentials: creds, HTTPClient: httpClient})
	name := "batchutils-demo-" + randomHex(4)
	created, err := client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		fmt.Fprintf(stderr, "demo: creating topic %s: %v\n", name, err)
		return statusOf(ctx, exitFailed)
	}
	arn := aws.ToString(created.TopicArn)
	fmt.Fprintf(stderr, "demo: created topic %s on %s\n", arn, endpoint)
	defer cleanup(stderr, "topic "+name, func(ctx context.Context) error {
		_, err := client.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(arn)})
		return err
	})
	d, err := snsbatch.New[Order](client, snsbatch.Config{TopicARN: arn, Batch: batchConfig(opts, stderr)})
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return exitUsage
	}
	runID := "demo-" + randomHex(4)
	start := time.Now()
	return runMotoSection(ctx, opts, endpoint, motoSection{
		kind: "topic", name: name, noun: "messages", call: "PublishBatch",
		stats: d.Stats, close: d.Close,
		put: func(ctx context.Context, i int) error {
			return d.Publish(ctx, newOrder(runID, i, start))
		},
		noReadBack: "moto keeps a topic's messages for its subscribers only; written is what PublishBatch answered",
	}, stdout, stderr)
}
