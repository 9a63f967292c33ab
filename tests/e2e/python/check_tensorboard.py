"""lighter's TensorBoard event file, read with protobuf and TFRecord's framing: every record's
masked CRC-32C holds, the first event names the file version, and every scalar equals the value
metrics.csv holds for the same tag and step.

usage: check_tensorboard.py EVENTS_FILE METRICS_CSV
"""
import csv
import math
import struct
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

events_path, metrics_path = sys.argv[1], sys.argv[2]

# The fields of tensorflow's event.proto and summary.proto that scalars use.
proto = descriptor_pb2.FileDescriptorProto(name="event.proto", package="tb", syntax="proto3")
value = proto.message_type.add(name="Value")
value.field.add(name="tag", number=1, type=9, label=1)
value.field.add(name="simple_value", number=2, type=2, label=1)
summary = proto.message_type.add(name="Summary")
summary.field.add(name="value", number=1, type=11, label=3, type_name=".tb.Value")
event = proto.message_type.add(name="Event")
event.field.add(name="wall_time", number=1, type=1, label=1)
event.field.add(name="step", number=2, type=3, label=1)
event.field.add(name="file_version", number=3, type=9, label=1)
event.field.add(name="summary", number=5, type=11, label=1, type_name=".tb.Summary")
pool = descriptor_pool.DescriptorPool()
pool.Add(proto)
descriptor = pool.FindMessageTypeByName("tb.Event")
if hasattr(message_factory, "GetMessageClass"):
    Event = message_factory.GetMessageClass(descriptor)
else:
    Event = message_factory.MessageFactory(pool).GetPrototype(descriptor)

TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
    TABLE.append(c)


def masked_crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    c ^= 0xFFFFFFFF
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


raw = open(events_path, "rb").read()
events, at = [], 0
while at < len(raw):
    header = raw[at:at + 8]
    (length,) = struct.unpack("<Q", header)
    (length_crc,) = struct.unpack("<I", raw[at + 8:at + 12])
    assert length_crc == masked_crc32c(header), f"length CRC of the record at byte {at}"
    data = raw[at + 12:at + 12 + length]
    (data_crc,) = struct.unpack("<I", raw[at + 12 + length:at + 16 + length])
    assert len(data) == length and data_crc == masked_crc32c(data), f"data CRC of the record at byte {at}"
    message = Event()
    message.ParseFromString(data)
    events.append(message)
    at += 16 + length

assert events and events[0].file_version == "brain.Event:2", events[:1]
scalars = {(v.tag, e.step): v.simple_value for e in events[1:] for v in e.summary.value}
assert scalars, "no scalar in the event file"

csv_values = {}
with open(metrics_path, newline="") as f:
    for row in csv.DictReader(f):
        for tag, cell in row.items():
            if tag not in ("epoch", "step") and cell != "":
                csv_values[(tag, int(row["step"]))] = float(cell)
# Lightning's loggers also log the epoch as a scalar; metrics.csv holds it as its `epoch` column.
epochs = {step: x for (tag, step), x in scalars.items() if tag == "epoch"}
scalars = {k: x for k, x in scalars.items() if k[0] != "epoch"}
assert set(scalars) == set(csv_values), sorted(set(scalars) ^ set(csv_values))[:10]
for key, x in scalars.items():
    assert math.isclose(x, csv_values[key], rel_tol=1e-6, abs_tol=1e-7), (key, x, csv_values[key])
print(f"ok: {len(events)} events, {len(scalars)} scalars agree with metrics.csv")
