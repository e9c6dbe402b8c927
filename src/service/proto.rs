//! Generated protobuf and gRPC code for `proto/xformd/v1/media.proto`; nothing else.

#![expect(missing_docs, clippy::allow_attributes_without_reason, reason = "generated code")]

tonic::include_proto!("xformd.v1");

/// Encoded file descriptor set, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("xformd_descriptor");
