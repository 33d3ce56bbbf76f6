"""Action lists from a folder per class and from UCF101's official lists (tools/data/*), shared code in
mobilebench/action_lists.py. The clip and the frames are the real UCF101-style fixture of tests/data/action."""
import importlib.util
import os.path as osp
import shutil

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CLIP = osp.join(ROOT, 'tests', 'data', 'action', 'videos', 'ApplyEyeMakeup', 'test.avi')
FRAMES = osp.join(ROOT, 'tests', 'data', 'action', 'rawframes', 'ApplyEyeMakeup', 'v_test')


def _tool(*parts):
    spec = importlib.util.spec_from_file_location(parts[-1][:-3], osp.join(ROOT, 'tools', 'data', *parts))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _lines(path):
    return open(path).read().splitlines()


def test_lists_from_a_folder_per_class(tmp_path):
    root = tmp_path / 'clips'
    for cls, names in (('wave', ('w1.mp4', 'w2.avi', 'w3.avi', 'w4.avi')), ('clap', ('c1.avi', 'c2.avi'))):
        (root / cls).mkdir(parents=True)
        for n in names:
            shutil.copy(CLIP, root / cls / n)
    (root / 'wave' / 'notes.txt').write_text('not a clip')
    info = _tool('build_action_lists.py').main([str(root), str(tmp_path / 'out'), '--name', 'mine'])
    assert info['format'] == 'videos' and info['ignored'] == ['wave/notes.txt']
    assert _lines(tmp_path / 'out' / 'label_map.txt') == ['clap', 'wave']  # sorted folder names -> labels 0, 1
    train = _lines(tmp_path / 'out' / 'mine_train_videos.txt')
    val = _lines(tmp_path / 'out' / 'mine_val_videos.txt')
    # val_ratio 0.2: round(2 * 0.2) = 0 -> at least 1 of clap; round(4 * 0.2) = 1 of wave
    assert len(val) == 2 and len(train) == 4
    assert sorted(train + val) == sorted(['clap/c1.avi 0', 'clap/c2.avi 0', 'wave/w1.mp4 1', 'wave/w2.avi 1',
                                          'wave/w3.avi 1', 'wave/w4.avi 1'])
    assert {line.split()[1] for line in val} == {'0', '1'}
    again = _tool('build_action_lists.py').main([str(root), str(tmp_path / 'again'), '--name', 'mine'])
    assert _lines(again['written'][1]) == val  # deterministic with the seed

    frames = tmp_path / 'frames'
    for cls in ('clap', 'wave'):
        for clip in ('a', 'b'):
            shutil.copytree(FRAMES, frames / cls / clip)
    info = _tool('build_action_lists.py').main([str(frames), str(tmp_path / 'fr'), '--val-ratio', '0'])
    assert info['format'] == 'rawframes' and len(info['written']) == 2  # train list + label map
    assert _lines(tmp_path / 'fr' / 'custom_train_rawframes.txt') == ['clap/a 10 0', 'clap/b 10 0', 'wave/a 10 1',
                                                                       'wave/b 10 1']
    (frames / 'wave' / 'empty').mkdir()
    with pytest.raises(SystemExit, match=r"wave/empty': a folder without frames"):
        _tool('build_action_lists.py').main([str(frames), str(tmp_path / 'fr')])
    shutil.rmtree(frames / 'wave' / 'empty')
    shutil.copy(CLIP, frames / 'wave' / 'x.avi')
    with pytest.raises(SystemExit, match='mixes videos'):
        _tool('build_action_lists.py').main([str(frames), str(tmp_path / 'fr')])


def _write_ucf101_lists(folder):
    """The official ucfTrainTestlist format: classInd.txt '<1-based index> <class>', trainlist01.txt
    '<class>/v_<class>_gXX_cYY.avi <index>', testlist01.txt '<class>/v_<class>_gXX_cYY.avi'."""
    folder.mkdir()
    (folder / 'classInd.txt').write_text('1 ApplyEyeMakeup\r\n2 ApplyLipstick\r\n3 Archery\r\n')
    (folder / 'trainlist01.txt').write_text(
        'ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1\r\nApplyLipstick/v_ApplyLipstick_g08_c01.avi 2\r\n'
        'Archery/v_Archery_g08_c01.avi 3\r\n')
    (folder / 'testlist01.txt').write_text('ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi\r\n'
                                           'Archery/v_Archery_g01_c01.avi\r\n')


def test_lists_from_ucf101_official_lists(tmp_path):
    lists = tmp_path / 'ucfTrainTestlist'
    _write_ucf101_lists(lists)
    frames = tmp_path / 'rawframes'
    for rel in ('ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01', 'ApplyLipstick/v_ApplyLipstick_g08_c01',
                'Archery/v_Archery_g08_c01', 'ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01', 'Archery/v_Archery_g01_c01'):
        shutil.copytree(FRAMES, frames / rel)
    tool = _tool('ucf101', 'build_lists.py')
    tool.main(['--lists-dir', str(lists), '--out-dir', str(tmp_path / 'out'), '--splits', '1',
               '--format', 'videos', 'rawframes', '--rawframes-dir', str(frames)])
    out = tmp_path / 'out'
    assert _lines(out / 'ucf101_train_split_1_videos.txt') == [
        'ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 0', 'ApplyLipstick/v_ApplyLipstick_g08_c01.avi 1',
        'Archery/v_Archery_g08_c01.avi 2']
    assert _lines(out / 'ucf101_val_split_1_videos.txt') == ['ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi 0',
                                                              'Archery/v_Archery_g01_c01.avi 2']
    assert _lines(out / 'ucf101_val_split_1_rawframes.txt') == ['ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01 10 0',
                                                                 'Archery/v_Archery_g01_c01 10 2']
    # the first three names of mmaction2's UCF101 label map
    assert _lines(out / 'label_map.txt') == _lines(osp.join(ROOT, 'tools', 'data', 'ucf101', 'label_map.txt'))[:3]
    (lists / 'trainlist01.txt').write_text('ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 2\n')
    with pytest.raises(SystemExit, match=r"trainlist01.txt, line 1 .*field label: '2' but 'ApplyEyeMakeup' is class 1"):
        tool.main(['--lists-dir', str(lists), '--out-dir', str(out), '--splits', '1'])
    (lists / 'trainlist01.txt').write_text('Bowling/v_Bowling_g08_c01.avi 1\n')
    with pytest.raises(SystemExit, match=r"line 1 .*field path: the folder 'Bowling' is not a class"):
        tool.main(['--lists-dir', str(lists), '--out-dir', str(out), '--splits', '1'])
    _write_ucf101_lists(tmp_path / 'again')
    videos = tmp_path / 'videos' / 'ApplyEyeMakeup'
    videos.mkdir(parents=True)
    shutil.copy(CLIP, videos / 'v_ApplyEyeMakeup_g08_c01.avi')
    with pytest.raises(SystemExit, match=r"trainlist01.txt: 2 of 3 listed videos are not under .*"
                                         r"\(first: 'ApplyLipstick/v_ApplyLipstick_g08_c01.avi'\)"):
        tool.main(['--lists-dir', str(tmp_path / 'again'), '--out-dir', str(out), '--splits', '1',
                   '--videos-dir', str(tmp_path / 'videos')])
