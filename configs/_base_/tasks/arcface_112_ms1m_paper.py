# The face model of AsymmNet Table 7 (112x112): insightface's MobileFaceNet GDC head
# (`recognition/arcface_mxnet/sample_config.py`: `emb_size = 128`, `net_output = 'GDC'`) on the stride-16
# tap, i.e. the suite's ArcFace model with a 128-d embedding instead of 512 (no layer is left out: the
# FullyConnected 512 -> 128 is the embedding). With the MXNet summary tool's counting it reproduces the
# MAdds of all four rows and the params of three (AsymmNet-s 10.31 M / 0.30 M = the paper's 10.3 / 0.3).
_base_ = ['./arcface_112_ms1m.py']

embedding_size = 128
model = dict(head=dict(embedding_size=embedding_size), loss=dict(embedding_size=embedding_size))
