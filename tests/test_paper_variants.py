"""The papers' own task models (AsymmNet Tables 7-10), the counting conventions and the published values.

- the ``true`` and ``mxnet-summary`` conventions on a hand-countable toy net;
- the paper rounding (the MXNet tool's 2 decimals, then half up);
- each paper variant built through its toolbox, trained 2 iterations on the real fixtures and tested;
- the published TSV read against its own bytes.

The complexity reproduction of every table is in ``tests/test_paper_check.py``.
"""
import os.path as osp

import pytest
import torch
import torch.nn as nn

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


# ------------------------------------------------------------------------------------------------ conventions
class _Toy(nn.Module):
    """conv 3x3 (no bias) -> BN -> depthwise 3x3 s2 (bias) -> deconv 2x2 s2 -> PReLU -> pool -> Linear; plus an
    unused Linear(100, 100) that must not count as run."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(4)
        self.dw = nn.Conv2d(4, 4, 3, stride=2, padding=1, groups=4, bias=True)
        self.deconv = nn.ConvTranspose2d(4, 2, 2, stride=2, bias=False)
        self.act = nn.PReLU(2)
        self.fc = nn.Linear(2, 5)
        self.unused = nn.Linear(100, 100)

    def forward(self, x):
        x = self.act(self.deconv(self.dw(self.bn(self.conv(x)))))
        return self.fc(x.mean((2, 3)))


# Input 3 x 8 x 6 (not square). By hand:
#   conv   out 4x8x6: true 192 * 27 = 5184 MAdds, 108 params; tool: 3*4*3 = 36 params, MACs on an 8x8 map:
#          64 * 3*9 * 4 = 6912
#   bn     8 params in both
#   dw     out 4x4x3: true 48 * 9 = 432 MAdds, 36 + 4 params; tool: 4*4//4*3 + 4 = 16 params,
#          ((8-3+2)//2+1)^2 = 16 positions * 4*9*4 // 4 = 576 MACs
#   deconv in 4x4x3: true 48 * 2*4 = 384 MAdds, 32 params; tool: nothing
#   prelu  2 params; tool: nothing
#   fc     true 10 MAdds, 15 params; tool (2+1)*5 = 15 and 15
TOY_TRUE = dict(params=108 + 8 + 40 + 32 + 2 + 15, madds=5184 + 432 + 384 + 10)
TOY_MX = dict(params=36 + 8 + 16 + 15, madds=6912 + 576 + 15)


def test_true_convention_on_toy_net():
    from mobilebench.complexity import get_complexity, measure
    res = measure(_Toy(), (3, 8, 6), 'true')
    assert res == dict(convention='true', input_shape=[3, 8, 6], **TOY_TRUE)
    # get_complexity counts every parameter the model holds (the unused Linear too)
    assert get_complexity(_Toy(), (3, 8, 6)) == dict(params=TOY_TRUE['params'] + 100 * 100 + 100,
                                                     madds=TOY_TRUE['madds'])


def test_mxnet_summary_convention_on_toy_net():
    from mobilebench.complexity import measure
    assert measure(_Toy(), (3, 8, 6), 'mxnet-summary') == dict(convention='mxnet-summary', input_shape=[3, 8, 6],
                                                                 **TOY_MX)


def test_mxnet_summary_counts_calls_but_params_once():
    from mobilebench.complexity import count_mxnet_summary

    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(2, 2, 1, bias=False)

        def forward(self, x):
            return self.conv(self.conv(x))

    # params 2*2*1 = 4 once; MACs 2 calls x 3*3 positions x 2*1*1*2
    assert count_mxnet_summary(Twice(), (2, 3, 5)) == dict(params=4, madds=2 * 9 * 4)


def test_unknown_convention_is_named():
    from mobilebench.complexity import measure
    with pytest.raises(ValueError, match=r"unknown counting convention 'mx'.*'true', 'mxnet-summary'"):
        measure(_Toy(), (3, 8, 6), 'mx')


@pytest.mark.parametrize('count,digits,twice,expected', [
    (1_546_000, 1, True, 1.6),     # 1.546 -> tool 1.55 -> 1.6 (AsymmNet Table 9, MBV3-s)
    (1_546_000, 1, False, 1.5),
    (4_246_200, 1, True, 4.3),     # Table 9 AsymmNet-L
    (41_545_700, 1, True, 41.6),   # Table 7 AsymmNet-L
    (10_146_000, 1, True, 10.2),   # Table 7 MBV3-s
    (5_991_776, 2, True, 5.99),    # Table 5 AsymmNet-L x1.0
    (43_040_000, 0, True, 43.0),
    (42_500_000, 0, False, 43.0),  # half up, not to even
])
def test_paper_round(count, digits, twice, expected):
    from mobilebench.complexity import paper_round
    assert paper_round(count, digits, twice=twice) == expected


def test_asymmnet_large_calibration():
    """The tool's own output for AsymmNet-L x1.0 (official checkpoints/macc.txt: Total params 5991776, MACs
    216.92 million) and the true count the suite's other tests assert."""
    from backbones import build_imagenet_model
    from mobilebench.complexity import measure
    model = build_imagenet_model(dict(type='backbones.AsymmNet', arch='large', widen_factor=1.0, init_cfg=None))
    mx = measure(model, (3, 224, 224), 'mxnet-summary')
    true = measure(model, (3, 224, 224), 'true')
    assert (mx['params'], mx['madds']) == (5_991_776, 216_918_096 + 1000)  # + the tool's FC bias row (1000)
    assert (true['params'], true['madds']) == (6_076_608, 216_918_096)


# ------------------------------------------------------------------------------------------------ MobileNetV1
def test_mobilenet_v1_layer_table_and_taps():
    from backbones import MobileNetV1
    net = MobileNetV1(out_indices=('s8', 's16', 'final'))
    assert net.out_channels == (256, 512, 1024) and net.out_strides == (8, 16, 32)
    outs = net(torch.zeros(1, 3, 64, 64))
    assert [tuple(o.shape) for o in outs] == [(1, 256, 8, 8), (1, 512, 4, 4), (1, 1024, 2, 2)]
    # 4,231,976 params: the paper's 4.2 M for MobileNetV1 1.0 (backbone + Linear(1024, 1000))
    from backbones import build_imagenet_model
    from mobilebench.complexity import get_complexity
    res = get_complexity(build_imagenet_model(dict(type='backbones.MobileNetV1', init_cfg=None)))
    assert res['params'] == 4_231_976
    assert round(res['madds'] / 1e6) == 569  # the paper's 569 M (MobileNeXt Table 6 prints 575)


def test_mobilenet_v1_frozen_and_errors():
    from backbones import MobileNetV1
    net = MobileNetV1(frozen_stages=2, norm_eval=True)
    net.train()
    assert not any(p.requires_grad for p in net.layer2.parameters())
    assert all(p.requires_grad for p in net.layer3.parameters())
    assert not net.layer5[0].bn.training
    with pytest.raises(ValueError, match='unsupported widen_factor 0.3'):
        MobileNetV1(widen_factor=0.3)
    with pytest.raises(ValueError, match="unknown tap 's64'"):
        MobileNetV1(out_indices=('s64', ))


# ------------------------------------------------------------------------------------------------ heads
def test_duc_head_shapes_and_errors():
    import mobilebench.models.pose_heads  # noqa: F401
    from mmengine.registry import init_default_scope

    from mobilebench.registry import MODELS
    init_default_scope('mmpose')  # the head builds mmpose's loss and codec parts
    head = MODELS.build(dict(type='mobilebench.DUCHeatmapHead', in_channels=96, out_channels=17))
    out = head((torch.zeros(2, 96, 8, 6), ))
    assert tuple(out.shape) == (2, 17, 64, 48)
    assert isinstance(head.deconv_layers[4], nn.PixelShuffle) and head.final_layer.bias is None
    with pytest.raises(ValueError, match='divisible by upscale_factor'):
        MODELS.build(dict(type='mobilebench.DUCHeatmapHead', in_channels=96, out_channels=17, duc_channels=(510, )))
    with pytest.raises(ValueError, match="'deconv_out_channels' is a HeatmapHead option"):
        MODELS.build(dict(type='mobilebench.DUCHeatmapHead', in_channels=96, out_channels=17, deconv_out_channels=(256, )))


def test_mobile_tsn_head_is_per_frame_conv_then_consensus():
    import mobilebench.models.action_heads  # noqa: F401
    from mmengine.registry import init_default_scope

    from mobilebench.registry import MODELS
    init_default_scope('mmaction')  # the head builds mmaction2's loss
    head = MODELS.build(dict(type='mobilebench.MobileTSNHead', num_classes=5, in_channels=8, pre_logits_channels=16,
                             dropout_ratio=0.0)).eval()
    x = torch.randn(6, 8, 3, 3)  # 2 videos x 3 segments
    out = head(x, num_segs=3)
    # by hand: pool, conv, h-swish per frame, mean over segments, fc
    feats = nn.functional.hardswish(head.pre_logits(x.mean((2, 3), keepdim=True))).flatten(1)
    expected = head.fc_cls(feats.view(2, 3, 16).mean(1))
    assert torch.allclose(out, expected, atol=1e-6)


# ------------------------------------------------------------------------------------------------ configs
def test_committed_paper_configs_match_generator():
    import importlib.util
    spec = importlib.util.spec_from_file_location('gen', osp.join(ROOT, 'tools', 'misc', 'generate_task_configs.py'))
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    tasks = [row.template for row in gen.ROWS if row.template.endswith('_paper')]
    assert len(tasks) == 5
    assert gen.stale_files(gen.render_all(tasks), ROOT) == []


def test_yolov3_paper_is_mmdet_yolov3_with_gluoncv_widths():
    from mobilebench.complexity import build_config_model
    from mobilebench.config import load_config
    cfg = load_config(osp.join(ROOT, 'configs/detection/yolov3_416_asymmnet_small_x1.0_voc_paper.py'))
    model, scope = build_config_model(cfg)
    assert scope == 'mmdet' and type(model.neck).__name__ == 'YOLOV3Neck'
    assert model.backbone.out_channels == (24, 48, 576)  # s8, s16, final (last 1x1 conv)
    assert cfg.model.neck.in_channels == [576, 48, 24]
    # detection block of the deepest level: 1x1 512 -> 3x3 1024 -> ... as GluonCV's YOLODetectionBlockV3(512)
    block = model.neck.detect1
    assert (block.conv1.conv.out_channels, block.conv2.conv.out_channels) == (512, 1024)


# ------------------------------------------------------------------------------------------------ train + test
def test_pose_paper_trains_and_tests_on_fixture(tmp_path):
    import test_pose
    from mobilebench.config import load_config
    cfg = test_pose.fixture_cfg('asymmnet_small_x1.0')
    paper = load_config(osp.join(ROOT, 'configs/pose/simplebaseline_asymmnet_small_x1.0_coco-256x192_paper.py'))
    head = paper.model.head
    head.decoder = cfg.model.head.decoder  # the fixture's small codec
    cfg.model.head = head
    cfg.custom_imports = paper.custom_imports
    test_pose._train_test('asymmnet_small_x1.0', tmp_path, num_test=4, cfg=cfg)  # 4 real detections (CPU time)


def test_tsn_paper_trains_and_tests_on_fixture(tmp_path, monkeypatch):
    import test_action
    from short_runs import run_train_test
    monkeypatch.setattr(test_action, '_config', lambda bb, task: osp.join(
        ROOT, 'configs', 'action', f'tsn_{bb}_{task}_paper.py'))
    cfg = test_action.fixture_cfg('asymmnet_small_x1.0', 'hmdb51-video')
    assert cfg.model.cls_head.type == 'mobilebench.MobileTSNHead'
    samples = []
    metrics = run_train_test(cfg, str(tmp_path / 'tsn'), max_iters=2, batch_size=1, predictions=samples)
    test_action.check_against_hand(metrics, samples, n_clips=1)


@pytest.mark.parametrize('config', [
    'configs/detection/yolov3_416_mobilenetv3_small_x1.0_voc_paper.py',
    pytest.param('configs/detection/ssdlite_320_mobilenext_x1.0_voc_paper.py', marks=pytest.mark.slow)])
def test_detection_paper_trains_and_tests_on_fixture(config, tmp_path):
    import test_detection
    cfg = test_detection._fixture_cfg(osp.join(ROOT, config), 'voc', size=96)
    samples = []
    metrics = test_detection._train_test(cfg, tmp_path, predictions=samples)
    test_detection.check_predictions(cfg, metrics, samples, 'voc')


from test_face import face_folder, packed  # noqa: E402,F401  (module fixtures: real faces packed as RecordIO)


def test_face_paper_trains_and_tests_on_fixture(packed, tmp_path):
    import test_face
    from mobilebench.config import load_config
    from short_runs import run_train_test
    rec_dir, _ = packed
    cfg = test_face._e2e_cfg(rec_dir, [test_face.SMALL_LFW], str(tmp_path / 'work'))
    paper = load_config(osp.join(ROOT, 'configs/face/arcface_mobilenetv3_small_x1.0_ms1m-112_paper.py'))
    assert paper.model.head.embedding_size == paper.model.loss.embedding_size == 128
    cfg.model.head = paper.model.head
    cfg.model.loss.embedding_size = 128
    samples = []
    metrics = run_train_test(cfg, str(tmp_path / 'work'), max_iters=2, batch_size=10, predictions=samples)
    test_face.check_verification_against_reference(metrics, samples)


# ------------------------------------------------------------------------------------------------ published data
def test_published_tsv_values():
    from mobilebench.benchmark.paper_results import TSV_PATH, load_paper_values, paper_values, printed_digits
    lines = open(TSV_PATH, encoding='utf-8').read().splitlines()
    assert len(lines) == 1 + 370 + 18  # the papers' tables + AsymmNet Table 6
    assert 'HBONet\tTable 9\tperson re-identification\tMarket-1501\tRank-1\tResNet-50\t-\t88.5\t%' in lines
    values = load_paper_values()
    assert len(values) == 388
    (v, ) = paper_values('AsymmNet', 'Table 5', 'AsymmNet (Large)', 'Params', '1.0')
    assert (v.value, v.unit, printed_digits(v.value)) == ('5.99', 'M', 2)
    assert 'MXNet' in v.protocol


def test_malformed_tsv_names_line_and_field(tmp_path):
    from mobilebench.benchmark.paper_results import load_paper_values
    bad = tmp_path / 'bad.tsv'
    bad.write_text('paper\ttable\ttask\tdataset\tmetric\tmodel\twidth\tvalue\tunit\n'
                   'AsymmNet\tTable 5\tx\tImageNet\tTop-1 Acc\tA\t1.0\t7O.1\t%\n')
    with pytest.raises(ValueError, match=r'bad.tsv: line 2: field "value" must be a number'):
        load_paper_values(str(bad))


def test_paper_rows_beside_the_suite_variant():
    from mobilebench.benchmark.published import published_rows
    rows = {r['backbone']: r for r in published_rows('voc_yolov3_paper')}
    row = rows['asymmnet_small_x1.0 (AsymmNet-s)']
    assert row['metrics'] == {'pascal_voc/mAP': pytest.approx(0.698)}
    assert (row['madds_m'], row['params_m'], row['convention']) == (pytest.approx(7990.0), 9.33, 'mxnet-summary')
    face = {r['backbone']: r for r in published_rows('face_arcface_paper')}['mobilenetv3_large_x1.0 (MBV3-L)']
    assert face['metrics']['lfw/accuracy'] == pytest.approx(0.991)
    assert face['metrics']['agedb_30/accuracy'] == pytest.approx(0.930)
    # the upstream baselines stay, labelled as such, without a convention
    up = [r for r in published_rows('ssdlite_320') if r['source'].startswith('upstream')]
    assert len(up) == 2 and all(r['convention'] is None for r in up)
    hbo = {r['backbone']: r for r in published_rows('ssdlite_320')}['hbonet_x0.1 (HBONet SSD320 (0.1))']
    assert hbo['metrics'] == {'pascal_voc/mAP': pytest.approx(0.426)}


def _record(bb, value, madds, mx=None):
    cx = dict(madds=madds, params=madds // 100, convention='true', by_convention={'true': dict(madds=madds)})
    if mx is not None:
        cx['by_convention']['mxnet-summary'] = dict(madds=mx, params=mx // 100)
    return dict(task='det', backbone=bb, status='ok', metrics={'pascal_voc/mAP': value}, complexity=cx)


def test_plot_compares_one_convention_only():
    from mobilebench.benchmark.table import plot_points
    tasks = dict(det=dict(metric='pascal_voc/mAP', published_key='voc_yolov3_paper'))
    # every run also counted as mxnet-summary: the published (mxnet-summary) rows are plotted with those counts
    data = dict(tasks=tasks, runs=[_record('a', 0.5, 8_000_000_000, mx=8_100_000_000)], problems=[])
    convention, mine, pub, _ = plot_points(data, 'det')
    assert convention == 'mxnet-summary' and mine[0]['madds_m'] == pytest.approx(8100.0)
    assert {r['convention'] for r in pub} == {'mxnet-summary'} and len(pub) == 5
    # a run without the paper's convention: true counts only, the published points are left out
    data['runs'] = [_record('a', 0.5, 8_000_000_000)]
    convention, mine, pub, _ = plot_points(data, 'det')
    assert convention == 'true' and mine[0]['madds_m'] == pytest.approx(8000.0) and pub == []


def test_plot_leaves_out_published_rows_at_another_input_size():
    """AsymmNet Table 10 counts YOLOv3 at 416 x 416: beside runs at 128 x 128 its points are not plotted (MAdds
    grow with the input area) and the page says so; beside runs at 416 x 416 they are."""
    from mobilebench.benchmark.published import published_rows
    from mobilebench.benchmark.render import plot_note
    from mobilebench.benchmark.table import plot_points
    assert {r['input_hw'] for r in published_rows('voc_yolov3_paper')} == {(416, 416)}
    assert {r['input_hw'] for r in published_rows('ssdlite_320') if r['madds_m']} == {(320, 320)}
    assert {r['input_hw'] for r in published_rows('simplebaseline_256x192') if r['madds_m']} == {(256, 192)}
    assert {r['input_hw'] for r in published_rows('imagenet_224')} == {(224, 224)}
    tasks = dict(det=dict(metric='pascal_voc/mAP', published_key='voc_yolov3_paper'))
    run = _record('a', 0.5, 900_000_000, mx=910_000_000)
    run['complexity']['input_shape'] = [3, 128, 128]
    data = dict(tasks=tasks, runs=[run], problems=[])
    convention, mine, pub, other = plot_points(data, 'det')
    assert convention == 'mxnet-summary' and len(mine) == 1 and pub == [] and len(other) == 5
    assert plot_note(data, 'det') == (
        'Not plotted: 5 published row(s) counted at 416x416, while these runs are at 128x128; MAdds grow with the '
        'input area, so the points would not be comparable.')
    from mobilebench.benchmark.render import _task_table
    header, rows, cells = _task_table(data, 'det')
    col = header.index('at input')
    assert [c[col] for c in cells] == ['128x128'] + ['416x416'] * 5
    run['complexity']['input_shape'] = [3, 416, 416]
    convention, mine, pub, other = plot_points(data, 'det')
    assert len(pub) == 5 and other == [] and plot_note(data, 'det') == ''
    run['complexity'].pop('input_shape')  # a record without the shape: compared as before
    assert [len(x) for x in plot_points(data, 'det')[2:]] == [5, 0]


def test_benchmark_record_counts_one_frame_in_both_conventions():
    """measure.py (the benchmark record) goes through the same module: the TSN paper model's 8-segment input
    is counted as one frame with its head, 56.46 M MAdds / 1.86 M params by the MXNet tool = Table 8's
    56.5 / 1.9."""
    from mobilebench.benchmark.measure import model_complexity
    from mobilebench.complexity import build_config_model
    from mobilebench.config import load_config
    cfg = load_config(osp.join(ROOT, 'configs/action/tsn_asymmnet_small_x1.0_hmdb51-video_paper.py'))
    model, _ = build_config_model(cfg)
    rec = model_complexity(model, (8, 3, 224, 224))
    assert rec['convention'] == 'true' and rec['counted_shape'] == [3, 224, 224]
    mx = rec['by_convention']['mxnet-summary']
    assert (mx['madds'], mx['params'], mx['scope']) == (56_459_747, 1_860_403, 'model')
    assert (rec['madds'], rec['params']) == (56_459_696, 1_916_227)
