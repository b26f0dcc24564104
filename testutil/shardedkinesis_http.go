package testutil

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
)

// X-Amz-Target of the operations ShardedKinesisHandler serves.
const (
	kinListShardsTarget = "Kinesis_20131202.ListShards"
)

// kinJSONRecord is a record of a PutRecords body in JSON 1.1 (Data in
// base64, as encoding/json writes a []byte).
type kinJSONRecord struct {
	Data            []byte
	PartitionKey    *string `json:",omitempty"`
	ExplicitHashKey *string `json:",omitempty"`
}

// ShardedKinesisHandler returns an HTTP handler that serves f's PutRecords
// and ListShards over Kinesis's JSON 1.1 protocol, so that the real SDK
// client talks to the fake (through a FaultProxy too, or in a benchmark
// that counts the SDK's cost). Other operations are refused with
// UnknownOperationException; errors are written as Kinesis writes them
// (status 400, or 500 for a server fault, and a body with __type and
// message).
func ShardedKinesisHandler(f *ShardedKinesis) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, fltMaxBody))
		if err != nil {
			kinWriteError(w, http.StatusRequestEntityTooLarge, "SerializationException", err.Error())
			return
		}
		var out any
		switch target := r.Header.Get("X-Amz-Target"); target {
		case kinPutRecordsTarget:
			var in struct {
				StreamName, StreamARN *string
				Records               []kinJSONRecord
			}
			if err := json.Unmarshal(body, &in); err != nil {
				kinWriteError(w, http.StatusBadRequest, "SerializationException", err.Error())
				return
			}
			call := &kinesis.PutRecordsInput{StreamName: in.StreamName, StreamARN: in.StreamARN}
			for _, rec := range in.Records {
				call.Records = append(call.Records, types.PutRecordsRequestEntry{Data: rec.Data, PartitionKey: rec.PartitionKey, ExplicitHashKey: rec.ExplicitHashKey})
			}
			res, err := f.PutRecords(r.Context(), call)
			if err != nil {
				kinWriteAPIError(w, err)
				return
			}
			type result struct {
				SequenceNumber, ShardId, ErrorCode, ErrorMessage *string `json:",omitempty"`
			}
			o := struct {
				FailedRecordCount int32
				Records           []result
			}{FailedRecordCount: aws.ToInt32(res.FailedRecordCount), Records: make([]result, len(res.Records))}
			for i, e := range res.Records {
				o.Records[i] = result{e.SequenceNumber, e.ShardId, e.ErrorCode, e.ErrorMessage}
			}
			out = o
		case kinListShardsTarget:
			var in struct {
				StreamName, StreamARN, NextToken *string
				MaxResults                       *int32
			}
			if err := json.Unmarshal(body, &in); err != nil {
				kinWriteError(w, http.StatusBadRequest, "SerializationException", err.Error())
				return
			}
			res, err := f.ListShards(r.Context(), &kinesis.ListShardsInput{StreamName: in.StreamName, StreamARN: in.StreamARN, NextToken: in.NextToken, MaxResults: in.MaxResults})
			if err != nil {
				kinWriteAPIError(w, err)
				return
			}
			type hashRange struct{ StartingHashKey, EndingHashKey *string }
			type seqRange struct {
				StartingSequenceNumber *string
				EndingSequenceNumber   *string `json:",omitempty"`
			}
			type shard struct {
				ShardId             *string
				ParentShardId       *string `json:",omitempty"`
				HashKeyRange        hashRange
				SequenceNumberRange seqRange
			}
			o := struct {
				Shards    []shard
				NextToken *string `json:",omitempty"`
			}{NextToken: res.NextToken}
			for _, s := range res.Shards {
				o.Shards = append(o.Shards, shard{
					ShardId: s.ShardId, ParentShardId: s.ParentShardId,
					HashKeyRange:        hashRange{s.HashKeyRange.StartingHashKey, s.HashKeyRange.EndingHashKey},
					SequenceNumberRange: seqRange{s.SequenceNumberRange.StartingSequenceNumber, s.SequenceNumberRange.EndingSequenceNumber},
				})
			}
			out = o
		default:
			kinWriteError(w, http.StatusBadRequest, "UnknownOperationException", "testutil: ShardedKinesisHandler serves PutRecords and ListShards only, not "+target)
			return
		}
		b, err := json.Marshal(out)
		if err != nil {
			kinWriteError(w, http.StatusInternalServerError, "InternalFailure", err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusOK)
		w.Write(b)
	})
}

// kinWriteAPIError writes err, an error of the fake, as Kinesis would.
func kinWriteAPIError(w http.ResponseWriter, err error) {
	status, code, msg := http.StatusBadRequest, "ValidationException", err.Error()
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code, msg = ae.ErrorCode(), ae.ErrorMessage()
		if ae.ErrorFault() == smithy.FaultServer {
			status = http.StatusInternalServerError
		}
	}
	kinWriteError(w, status, code, msg)
}

// kinWriteError writes an error answer of Kinesis's JSON 1.1 protocol.
func kinWriteError(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal(map[string]string{"__type": code, "message": msg})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	w.Write(b)
}
