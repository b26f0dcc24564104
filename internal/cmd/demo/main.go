// Command demo writes typed records into a DynamoDB table through
// dynamo.Dispatcher, with a live progress line, and shows how fast it went.
//
// `make demo` runs it against a local DynamoDB-compatible server (dynalite)
// that internal/dynalite/run.sh installs, starts and stops. It creates a
// table with a unique name, writes 100,000 records, reads their count back
// with a Scan (Select=COUNT), prints the dispatcher's Stats and the
// throughput, and deletes the table. It exits with status 1 if any record
// failed or the count read back is not the number written, and 130 when
// interrupted.
//
// Usage:
//
//	demo [-backends list] [-n records] [-concurrency calls] [-endpoint URL | -aws [-region R]] [-table name]
//	     [-sqs-n messages] [-moto-n items] [-v]
//
// The endpoint defaults to $BATCHUTILS_DYNAMODB_ENDPOINT, which run.sh sets.
// With -aws it is real DynamoDB in -region, with the credentials in
// $AWS_ACCESS_KEY_ID, $AWS_SECRET_ACCESS_KEY and $AWS_SESSION_TOKEN (for a
// profile or SSO, `eval "$(aws configure export-credentials --format env)"`
// sets them). With -table, the records go into that existing table, whose
// partition key must be a string attribute named "id" with no sort key; it
// is neither created nor deleted, the records stay in it, and only this
// run's records (their ids share a prefix) are counted.
//
// With $BATCHUTILS_MOTO_ENDPOINT set (internal/moto/run.sh sets it, and
// `make demo` runs it), it then sends -sqs-n messages (default 1,000) to a
// new local SQS queue through sqsbatch.Dispatcher, with their own progress
// line, receives them back meanwhile and deletes the queue (sqs.go).
// With $BATCHUTILS_KINESIS_ENDPOINT set, as `make demo` does, it then puts
// the same records into a local Kinesis stream (kinesis.go). Then, on the
// moto_server again, it puts -moto-n items (default 10,000) through each of
// cloudwatchbatch, firehosebatch, eventbridgebatch and snsbatch into a new
// namespace, delivery stream, event bus and topic, and reads their count
// back where moto lets it do so cheaply (moto.go).
//
// -backends picks the sections, by name: dynamodb, sqs, kinesis,
// cloudwatch, firehose, eventbridge, sns (all, by default, each skipped with
// a note when its server's variable is not set; one that -backends names
// must have it). Each section ends with "ok", or "FAIL" and status 1.
//
// Ctrl-C stops the writing; the dispatcher is given 5 seconds to write what
// it holds, the outcome is reported, and the table the run created is
// deleted. A second Ctrl-C ends the program at once.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/batchutils/batchutils/batch"
	"github.com/batchutils/batchutils/dynamo"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailed      = 1 // records failed, the count is wrong, or an AWS call failed
	exitUsage       = 2
	exitInterrupted = 130
)

const (
	// endpointEnv names the endpoint that run.sh exports.
	endpointEnv = "BATCHUTILS_DYNAMODB_ENDPOINT"
	// closeGrace is how long Close may go on writing after an interrupt.
	closeGrace = 5 * time.Second
	// progressEvery is the redraw interval of the progress line on a
	// terminal; elsewhere (a log file, CI) a line is printed every
	// progressLogEvery.
	progressEvery    = 250 * time.Millisecond
	progressLogEvery = 2 * time.Second
	// tableActiveTimeout bounds the wait for a new table to become ACTIVE.
	tableActiveTimeout = 5 * time.Minute
	// cleanupTimeout bounds the deletion of the table at the end.
	cleanupTimeout = 30 * time.Second
)

// Order is the record the demo writes: a small typed struct, as most
// callers have.
type Order struct {
	ID         string    `dynamodbav:"id"`
	Customer   string    `dynamodbav:"customer"`
	Product    string    `dynamodbav:"product"`
	Quantity   int       `dynamodbav:"quantity"`
	PriceCents int64     `dynamodbav:"price_cents"`
	Express    bool      `dynamodbav:"express"`
	CreatedAt  time.Time `dynamodbav:"created_at"`
}

var products = []string{"notebook", "pencil", "stapler", "desk lamp", "chair", "monitor", "keyboard"}

// newOrder returns the i-th order of a run.
func newOrder(runID string, i int, start time.Time) Order {
	return Order{
		ID:         runID + "-" + fmt.Sprintf("%09d", i),
		Customer:   "customer-" + strconv.Itoa(i%5000),
		Product:    products[i%len(products)],
		Quantity:   1 + i%9,
		PriceCents: int64(199 + (i*7919)%50000),
		Express:    i%4 == 0,
		CreatedAt:  start.Add(time.Duration(i) * time.Millisecond).UTC(),
	}
}

// options are the command line flags.
type options struct {
	n           int
	concurrency int
	endpoint    string
	useAWS      bool
	region      string
	table       string
	verbose     bool
	sqsN        int // messages for the SQS section (sqs.go)
	motoN       int // items for each of the CloudWatch, Firehose, EventBridge and SNS sections (moto.go)
	// backends are the sections to run (by their names in sections);
	// picked says that -backends named them, and they must run.
	backends map[string]bool
	picked   bool
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// sections are the parts of the demo, one a backend, in the order they run;
// -backends picks some of them. Each returns an exit status.
var sections = []section{
	{"dynamodb", runDynamo},
	{"sqs", runSQS},               // sqs.go
	{"kinesis", runKinesis},       // kinesis.go
	{"cloudwatch", runCloudWatch}, // moto.go, and so are the next three
	{"firehose", runFirehose},
	{"eventbridge", runEventBridge},
	{"sns", runSNS},
}

// section is a part of the demo: its name in -backends, and the function
// that runs it and returns an exit status.
type section struct {
	name string
	run  func(ctx context.Context, opts options, stdout, stderr io.Writer) int
}

// allSections returns the names of the sections, separated by commas.
func allSections() string {
	names := make([]string, len(sections))
	for i, s := range sections {
		names[i] = s.name
	}
	return strings.Join(names, ",")
}

// run is the whole program; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return exitUsage
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal, the next one ends the program at once.
	context.AfterFunc(ctx, stop)

	first := true
	for _, s := range sections {
		if !opts.backends[s.name] {
			continue
		}
		if !first {
			fmt.Fprintln(stdout)
		}
		first = false
		if status := s.run(ctx, opts, stdout, stderr); status != exitOK {
			return status
		}
	}
	return exitOK
}

// runDynamo writes opts.n orders into a table through dynamo.Dispatcher,
// reads their count back, and prints the outcome.
func runDynamo(ctx context.Context, opts options, stdout, stderr io.Writer) int {
	client, where, err := newClient(opts)
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return exitUsage
	}

	table := opts.table
	if table == "" {
		table = "batchutils-demo-" + randomHex(4)
		fmt.Fprintf(stderr, "demo: creating table %s on %s\n", table, where)
		if err := createTable(ctx, client, table); err != nil {
			fmt.Fprintln(stderr, "demo:", err)
			return statusOf(ctx, exitFailed)
		}
		defer func() {
			if err := deleteTable(client, table); err != nil {
				fmt.Fprintf(stderr, "demo: %v; delete it yourself\n", err)
				return
			}
			fmt.Fprintf(stderr, "demo: deleted table %s\n", table)
		}()
	} else {
		fmt.Fprintf(stderr, "demo: using the existing table %s on %s\n", table, where)
		if err := checkTable(ctx, client, table); err != nil {
			fmt.Fprintln(stderr, "demo:", err)
			return statusOf(ctx, exitFailed)
		}
	}

	cfg := dynamo.Config{
		Table:        table,
		PartitionKey: "id",
		Batch:        batch.Config{MaxInFlight: opts.concurrency},
	}
	if opts.verbose {
		cfg.Batch.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	d, err := dynamo.New[Order](client, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "demo:", err)
		return exitUsage
	}

	runID := "demo-" + randomHex(4)
	fmt.Fprintf(stderr, "demo: writing %s records (ids %s-*) with %d calls in flight\n",
		thousands(int64(opts.n)), runID, opts.concurrency)
	start := time.Now()
	prog := startProgress(stderr, d.Stats, opts.n, start)
	putErr := putAll(ctx, d, runID, opts.n, start)
	closeErr := closeWithGrace(ctx, d.Close, stderr)
	elapsed := time.Since(start)
	prog.stop()

	st := d.Stats()
	status := exitOK
	if putErr != nil && ctx.Err() == nil {
		fmt.Fprintln(stderr, "demo: Put:", putErr)
		status = exitFailed
	}
	if closeErr != nil {
		reportFailures(stderr, closeErr)
		status = exitFailed
	}

	fmt.Fprintf(stdout, "table       %s on %s\n", table, where)
	fmt.Fprintf(stdout, "written     %s of %s records in %v: %s records/s (concurrency %d)\n",
		thousands(st.Written), thousands(int64(opts.n)), elapsed.Round(time.Millisecond),
		thousands(int64(float64(st.Written)/elapsed.Seconds())), opts.concurrency)
	fmt.Fprintf(stdout, "stats       submitted %s, written %s, failed %s, replaced %s, rejected %s, retries %s, batches %s\n",
		thousands(st.Submitted), thousands(st.Written), thousands(st.Failed), thousands(st.Replaced),
		thousands(st.Rejected), thousands(st.Retries), thousands(st.Batches))

	if ctx.Err() != nil {
		fmt.Fprintf(stdout, "interrupted: %s records not written\n", thousands(int64(opts.n)-st.Written))
		return exitInterrupted
	}

	count, err := countRecords(ctx, client, table, runID)
	if err != nil {
		fmt.Fprintln(stderr, "demo: counting the records:", err)
		return statusOf(ctx, exitFailed)
	}
	fmt.Fprintf(stdout, "read back   %s records (Scan, Select=COUNT)\n", thousands(count))
	if count != int64(opts.n) {
		fmt.Fprintf(stdout, "FAIL: the table holds %s of this run's records, want %s\n", thousands(count), thousands(int64(opts.n)))
		return exitFailed
	}
	if status != exitOK {
		fmt.Fprintln(stdout, "FAIL")
		return status
	}
	fmt.Fprintln(stdout, "ok")
	return exitOK
}

// parseFlags parses the command line.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.n, "n", 100_000, "number of records to write")
	fs.IntVar(&o.concurrency, "concurrency", 8, "calls in flight at once, in each section (batch.Config.MaxInFlight)")
	fs.StringVar(&o.endpoint, "endpoint", "", "URL of a DynamoDB-compatible server (default $"+endpointEnv+")")
	fs.BoolVar(&o.useAWS, "aws", false, "write to real DynamoDB in -region, with the credentials in $AWS_ACCESS_KEY_ID,\n$AWS_SECRET_ACCESS_KEY and $AWS_SESSION_TOKEN; it costs money")
	fs.StringVar(&o.region, "region", "", "AWS region (default $AWS_REGION, else $AWS_DEFAULT_REGION, else us-east-1)")
	fs.StringVar(&o.table, "table", "", "write into this existing table (partition key: string \"id\", no sort key)\ninstead of creating one and deleting it at the end")
	fs.BoolVar(&o.verbose, "v", false, "log the dispatcher's retries and failures to stderr")
	fs.IntVar(&o.sqsN, "sqs-n", 1_000, "messages to send to a local SQS queue after the table (0: none; needs $"+sqsEndpointEnv+")")
	fs.IntVar(&o.motoN, "moto-n", defaultMotoN, "items for each of the cloudwatch, firehose, eventbridge and sns sections (needs $"+sqsEndpointEnv+")")
	backends := fs.String("backends", allSections(), "the sections to run, by name, separated by commas (they run in this order); dynamodb\nneeds -endpoint or -aws, kinesis $"+kinesisEndpointEnv+", the others $"+sqsEndpointEnv)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: demo [flags]

demo writes -n typed records into a DynamoDB table through dynamo.Dispatcher,
with a live progress line, reads their count back, and prints the Stats and
the throughput. Unless -table is given, it creates a table with a unique name
and deletes it at the end. It exits with status 1 if a record failed or the
count is wrong, and 130 when interrupted (Ctrl-C: what is buffered gets 5
seconds to be written, then the outcome is reported).

Then, against local servers only, it does the same with the other backends
(-backends): -sqs-n messages to an SQS queue, -n records to a Kinesis
stream, and -moto-n items each to a CloudWatch namespace, a Firehose stream
(into an S3 bucket), an EventBridge bus and an SNS topic, counted back where
the server allows it cheaply.

'make demo' runs it against local servers (dynalite, kinesalite, moto) that
it starts and stops; pass flags with 'make demo DEMOFLAGS="-n 1000000
-concurrency 16"' or 'make demo DEMOFLAGS="-backends cloudwatch,sns"'.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	o.picked = explicit["backends"]
	o.backends = map[string]bool{}
	for _, name := range strings.Split(*backends, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		if !slices.ContainsFunc(sections, func(s section) bool { return s.name == name }) {
			return o, fmt.Errorf("-backends: no section %q; the sections are %s", name, allSections())
		}
		o.backends[name] = true
	}
	dynamoOn := o.backends["dynamodb"]
	if o.endpoint == "" {
		o.endpoint = os.Getenv(endpointEnv)
	}
	if o.region == "" {
		o.region = defaultRegion()
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected arguments %q; see -help", fs.Args())
	case len(o.backends) == 0:
		return o, fmt.Errorf("-backends %q: no section; the sections are %s", *backends, allSections())
	case o.n < 1:
		return o, fmt.Errorf("-n %d: want at least 1", o.n)
	case o.motoN < 1:
		return o, fmt.Errorf("-moto-n %d: want at least 1", o.motoN)
	case o.concurrency < 1:
		return o, fmt.Errorf("-concurrency %d: want at least 1", o.concurrency)
	case o.useAWS && explicit["endpoint"]:
		return o, errors.New("-aws and -endpoint exclude each other")
	case dynamoOn && !o.useAWS && o.endpoint == "":
		return o, errors.New("no endpoint: run `make demo`, which starts a local server, or pass -endpoint URL, or -aws for real DynamoDB")
	case !o.useAWS && explicit["region"]:
		return o, errors.New("-region only applies with -aws")
	}
	if o.useAWS {
		o.endpoint = ""
	}
	return o, nil
}

func defaultRegion() string {
	for _, env := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if r := os.Getenv(env); r != "" {
			return r
		}
	}
	return "us-east-1"
}

// newClient returns a DynamoDB client for opts and a description of where it
// points. It needs no shared configuration files: the region comes from a
// flag and the credentials from the environment (or, for an endpoint of your
// own, dummy ones, which a local server accepts).
func newClient(o options) (*dynamodb.Client, string, error) {
	creds, haveCreds := envCredentials()
	if o.useAWS && !haveCreds {
		return nil, "", errors.New("-aws needs credentials in $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY " +
			"(for a profile or SSO: eval \"$(aws configure export-credentials --format env)\")")
	}
	if !haveCreds {
		creds = aws.Credentials{AccessKeyID: "demo", SecretAccessKey: "demo", Source: "demo dummy credentials"}
	}
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConnsPerHost = o.concurrency + 2 // one connection per call in flight, kept
	})
	options := dynamodb.Options{
		Region: o.region,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return creds, nil
		}),
		HTTPClient: httpClient,
	}
	where := "DynamoDB in " + o.region
	if !o.useAWS {
		options.BaseEndpoint = aws.String(o.endpoint)
		where = o.endpoint
	}
	return dynamodb.New(options), where, nil
}

// envCredentials returns the credentials in the standard environment
// variables, if both the key id and the secret are set.
func envCredentials() (aws.Credentials, bool) {
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return aws.Credentials{}, false
	}
	return aws.Credentials{
		AccessKeyID:     id,
		SecretAccessKey: secret,
		SessionToken:    os.Getenv("AWS_SESSION_TOKEN"),
		Source:          "environment",
	}, true
}

// createTable creates an on-demand table keyed by a string "id" and waits
// until it is ACTIVE.
func createTable(ctx context.Context, client *dynamodb.Client, table string) error {
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{{
			AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS,
		}},
		KeySchema: []types.KeySchemaElement{{
			AttributeName: aws.String("id"), KeyType: types.KeyTypeHash,
		}},
		BillingMode: types.BillingModePayPerRequest,
	})
	if err != nil {
		return fmt.Errorf("creating table %s: %w", table, err)
	}
	waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 50 * time.Millisecond
		o.MaxDelay = 2 * time.Second
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, tableActiveTimeout); err != nil {
		return fmt.Errorf("waiting for table %s to become ACTIVE: %w", table, err)
	}
	return nil
}

// checkTable checks that an existing table is keyed by a string "id" alone,
// as the records are.
func checkTable(ctx context.Context, client *dynamodb.Client, table string) error {
	out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		return fmt.Errorf("table %s: %w", table, err)
	}
	keys := out.Table.KeySchema
	if len(keys) != 1 || aws.ToString(keys[0].AttributeName) != "id" {
		return fmt.Errorf("table %s: its key must be a partition key named \"id\" and no sort key", table)
	}
	for _, a := range out.Table.AttributeDefinitions {
		if aws.ToString(a.AttributeName) == "id" && a.AttributeType != types.ScalarAttributeTypeS {
			return fmt.Errorf("table %s: its partition key \"id\" is %s, want S (string)", table, a.AttributeType)
		}
	}
	return nil
}

// deleteTable deletes table, with a context of its own: the run's may have
// ended.
func deleteTable(client *dynamodb.Client, table string) error {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	if _, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)}); err != nil {
		return fmt.Errorf("deleting table %s: %w", table, err)
	}
	return nil
}

// putAll puts n orders, until the first error or the end of ctx.
func putAll(ctx context.Context, d *dynamo.Dispatcher[Order], runID string, n int, start time.Time) error {
	for i := range n {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := d.Put(ctx, newOrder(runID, i, start)); err != nil {
			return err
		}
	}
	return nil
}

// closeWithGrace calls closeFn, a dispatcher's Close. If ctx ends (Ctrl-C),
// before or during Close, the dispatcher gets closeGrace more to write what
// it holds; what it cannot write by then comes back as failures.
func closeWithGrace(ctx context.Context, closeFn func(context.Context) error, stderr io.Writer) error {
	closeCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stopAfter := context.AfterFunc(ctx, func() {
		fmt.Fprintf(stderr, "\ndemo: interrupted; writing what is buffered, for at most %v (Ctrl-C again to quit at once)\n", closeGrace)
		time.AfterFunc(closeGrace, cancel)
	})
	defer stopAfter()
	return closeFn(closeCtx)
}

// reportFailures prints how many records failed and the first few causes.
func reportFailures(w io.Writer, err error) {
	var fe *batch.FailedError[Order]
	if !errors.As(err, &fe) {
		fmt.Fprintln(w, "demo: Close:", err)
		return
	}
	fmt.Fprintf(w, "demo: %s records failed\n", thousands(int64(len(fe.Failures))))
	for i, f := range fe.Failures {
		if i == 5 {
			fmt.Fprintf(w, "demo:   ... and %d more\n", len(fe.Failures)-i)
			break
		}
		fmt.Fprintf(w, "demo:   %s: %v\n", f.Item.ID, f.Err)
	}
}

// countRecords counts the records of this run in table, with consistent
// scans of Select=COUNT, following LastEvaluatedKey across pages.
func countRecords(ctx context.Context, client *dynamodb.Client, table, runID string) (int64, error) {
	pages := dynamodb.NewScanPaginator(client, &dynamodb.ScanInput{
		TableName:                 aws.String(table),
		Select:                    types.SelectCount,
		ConsistentRead:            aws.Bool(true),
		FilterExpression:          aws.String("begins_with(#id, :run)"),
		ExpressionAttributeNames:  map[string]string{"#id": "id"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":run": &types.AttributeValueMemberS{Value: runID + "-"}},
	})
	var n int64
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return n, err
		}
		n += int64(page.Count)
	}
	return n, nil
}

// progress draws the progress line until stopped.
type progress struct {
	done chan struct{}
	wg   sync.WaitGroup
}

// startProgress starts drawing "written N of M records, R records/s" on w:
// redrawn in place 4 times a second on a terminal, one line every 2 seconds
// elsewhere. The rate is that of the last second or so.
func startProgress(w io.Writer, stats func() batch.Stats, total int, start time.Time) *progress {
	return startProgressOf(w, "written", "records", stats, total, start)
}

// startProgressOf is startProgress with other words: "VERB N of M NOUN".
func startProgressOf(w io.Writer, verb, noun string, stats func() batch.Stats, total int, start time.Time) *progress {
	p := &progress{done: make(chan struct{})}
	tty := isTerminal(w)
	every := progressLogEvery
	if tty {
		every = progressEvery
	}
	type sample struct {
		at      time.Time
		written int64
	}
	p.wg.Go(func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		window := []sample{{start, 0}}
		draw := func(now time.Time, final bool) {
			written := stats().Written
			window = append(window, sample{now, written})
			for len(window) > 2 && now.Sub(window[1].at) >= time.Second {
				window = window[1:]
			}
			first := window[0]
			rate := 0.0
			if dt := now.Sub(first.at).Seconds(); dt > 0 {
				rate = float64(written-first.written) / dt
			}
			if final {
				rate = float64(written) / now.Sub(start).Seconds()
			}
			line := fmt.Sprintf("%s %s of %s %s (%3d%%)  %s %s/s  %v", verb,
				thousands(written), thousands(int64(total)), noun, written*100/int64(total),
				thousands(int64(rate)), noun, now.Sub(start).Round(100*time.Millisecond))
			switch {
			case tty:
				fmt.Fprintf(w, "\r%-78s", line)
				if final {
					fmt.Fprintln(w)
				}
			case !final:
				fmt.Fprintln(w, line)
			}
		}
		for {
			select {
			case now := <-tick.C:
				draw(now, false)
			case <-p.done:
				draw(time.Now(), true)
				return
			}
		}
	})
	return p
}

// stop draws the final line and waits for the goroutine to end.
func (p *progress) stop() {
	close(p.done)
	p.wg.Wait()
}

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// statusOf returns exitInterrupted if ctx ended, else status.
func statusOf(ctx context.Context, status int) int {
	if ctx.Err() != nil {
		return exitInterrupted
	}
	return status
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b)
}

// thousands formats n with commas between groups of three digits.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		out = append(out, '-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
