// Package awscall is the one home of what every backend needs to make a call
// of an AWS batch API through the SDK and tell the batching core what came of
// it, so that no backend reimplements it and no two backends disagree.
//
// A backend makes one Call per request. Install hooks the Call into that
// request's options: the SDK does not retry a throttled call, nor one that
// was sent and got no answer (the core decides, and knows the call may have
// been applied); the request body is handed to net/http without its WriteTo
// method, which would make net/http close the connection under the answer and
// the SDK send the call a second time; and a probe records how far each
// attempt went (built, handed to the HTTP client, its body read whole).
// Call.Classify then maps the call's error to what the core understands:
//
//   - the service pushed back (a throttling code, HTTP 429): batch.Throttle;
//   - the service refused the call for what some item holds (a validation
//     error, HTTP 413): batch.Permanent, and the core splits the batch;
//   - the service refused the call whatever its items (an unknown resource,
//     denied access, a KMS key that cannot be used), or the client failed
//     before it built a request (no credentials, no region, a signing error):
//     batch.PermanentForAll;
//   - the request never left the client's transport (a refused connection):
//     a plain error, retried, certainly not applied;
//   - the request was sent and no answer came, or the answer could not be
//     read (a dropped connection, a timeout, a garbled 200):
//     batch.MaybeWritten, since the service may have applied it;
//   - an attempt succeeded and the client failed the call after it (a check
//     of the answer, such as SQS's MD5s): batch.MaybeWritten, since the
//     service applied it;
//   - anything else (5xx): a plain error, retried.
//
// Errors are matched by their types, codes and HTTP status, never by their
// message text. The code tables of each service are here too (Service), as
// is the conversion of an item to a message body (Payload).
package awscall
