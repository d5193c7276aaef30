"""RATE-Net in the browser: a person's photo + a target pose -> that person in
that pose.

    python demo/ratenet_gradio.py   # demo config, newest checkpoint in
        # work_dirs/ratenet_demo-pat32x22_1xb4-1800cycles_synthetic-64x44/
    python demo/ratenet_gradio.py --config CONFIG --checkpoint CKPT \
        [--device cuda] [--host 127.0.0.1] [--port 7860]

Then open http://127.0.0.1:7860. The page takes a source photo (upload or
an example) and a target pose from the bundled gallery, from another photo
(extracted with MediaPipe) or from a keypoint JSON, and shows the result at
the model's size and the ``source | target pose | result`` panel. Its
"Pose sequence" tab animates the same source photo along a pose sequence (a
bundled example, an uploaded video, or uploaded keypoint JSONs, one per
frame) and shows the looping GIF and how many driving frames were skipped.

This file only lays the page out; what a click does is
:class:`ratenet_plugin.apis.web_app.PoseTransferApp`. The page runs offline:
Gradio's analytics are off, the theme uses local fonts, and a
Content-Security-Policy keeps the browser from loading anything the app does
not serve itself (Gradio's page would otherwise fetch a script from a CDN).
"""
import argparse
import os
import os.path as osp
import signal
import sys

# Before gradio is imported: no usage statistics, no version check online.
os.environ.setdefault('GRADIO_ANALYTICS_ENABLED', 'False')

import gradio as gr  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from ratenet_plugin.apis.inferencer import (  # noqa: E402
    RATENetInferencer, add_inferencer_arguments)
from ratenet_plugin.apis.web_app import (  # noqa: E402
    POSE_FROM_GALLERY, POSE_FROM_JSON, POSE_FROM_PHOTO, SEQUENCE_FROM_EXAMPLE,
    SEQUENCE_FROM_UPLOAD, PoseTransferApp, newest_checkpoint,
    no_checkpoint_message)
from ratenet_plugin.fileio.errors import UserInputError  # noqa: E402
from ratenet_plugin.utils.arguments import int_at_least  # noqa: E402
from ratenet_plugin.utils.cli import run_tool  # noqa: E402

MAIN_JOB = 'ratenet_demo-pat32x22_1xb4-1800cycles_synthetic-64x44'
CONFIG = f'configs/ratenet/{MAIN_JOB}.py'
WORK_DIR = f'work_dirs/{MAIN_JOB}'
TRAIN_COMMAND = f'.venv/bin/python tools/train.py {CONFIG}'
EXAMPLES_DIR = osp.join(ROOT, 'demo', 'examples')
# Everything from the app itself; inline scripts and styles are Gradio's.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "media-src 'self' data: blob:; font-src 'self' data:; "
    "connect-src 'self'")
LOCAL_FONTS = dict(
    font=['ui-sans-serif', 'system-ui', 'sans-serif'],
    font_mono=['ui-monospace', 'monospace'])
#: The source, the result and the animation in their fixed-height boxes:
#: scaled to fit, the whole person shown (Gradio 4.26 draws the picture at
#: the box's width, so a portrait showed from the head to the waist).
WHOLE_IMAGES_CSS = '''
#source-preview .image-container, #result .image-container,
#animation .image-container { height: 100%; }
#source-preview img, #result img, #animation img {
    width: 100%; height: 100%; object-fit: contain;
}
'''


class SameOriginOnly:
    """ASGI middleware: every HTTP response carries the page's
    Content-Security-Policy."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope['type'] != 'http':
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message) -> None:
            if message['type'] == 'http.response.start':
                message['headers'] = list(message.get('headers', [])) + [
                    (b'content-security-policy',
                     CONTENT_SECURITY_POLICY.encode())
                ]
            await send(message)

        await self.app(scope, receive, send_with_policy)


def build_page(app: PoseTransferApp) -> gr.Blocks:
    """The page: inputs on the left, the target pose in the middle, results
    on the right."""
    with gr.Blocks(
            title='RATE-Net pose transfer',
            theme=gr.themes.Default(**LOCAL_FONTS),
            css=WHOLE_IMAGES_CSS,
            analytics_enabled=False) as page:
        gr.Markdown('# RATE-Net: a person in a new pose\nChoose a photo of '
                    'a person and a target pose, then press **Generate**.')
        if not app.ready:
            gr.Markdown(app.setup_message, elem_id='setup-message')
        pose_from = gr.State(POSE_FROM_GALLERY)
        sequence_from = gr.State(SEQUENCE_FROM_EXAMPLE)
        gallery_index = gr.State(None)
        with gr.Row():
            with gr.Column():
                # Uploads are files, not gr.Image: the app decodes them
                # itself and says what is wrong with one that is not an
                # image (gr.Image would fail with a bare "Error").
                source = gr.File(
                    label='Source photo', file_types=['image'],
                    type='filepath', height=110, elem_id='source')
                source_preview = gr.Image(
                    label='Source', interactive=False, height=256,
                    elem_id='source-preview')
                examples = gr.Gallery(
                    app.example_photos, label='Example photos: click one',
                    columns=3, height=170, object_fit='contain',
                    allow_preview=False, elem_id='example-photos')
            with gr.Column():
                with gr.Tabs():
                    with gr.Tab('Pose gallery') as gallery_tab:
                        gallery = gr.Gallery(
                            app.gallery_items(), label='Click a pose',
                            columns=3, height=290, object_fit='contain',
                            allow_preview=False, elem_id='pose-gallery')
                        chosen = gr.Markdown('No pose chosen yet.',
                                             elem_id='chosen-pose')
                    with gr.Tab('Pose from a photo') as photo_tab:
                        pose_photo = gr.File(
                            label='Photo of someone in the target pose',
                            file_types=['image'], type='filepath',
                            height=110, elem_id='pose-photo')
                    with gr.Tab('Keypoint JSON') as json_tab:
                        pose_json = gr.File(
                            label='Keypoint JSON (coco18, OpenPose, '
                            'MMPose, MediaPipe)',
                            file_types=['.json'], type='filepath',
                            height=110, elem_id='pose-json')
                    with gr.Tab('Pose sequence (animation)',
                                elem_id='sequence-tab') as sequence_tab:
                        with gr.Tabs():
                            with gr.Tab('Example sequence') as example_tab:
                                sequence_example = gr.Dropdown(
                                    app.example_sequence_names(),
                                    value=(app.example_sequence_names()
                                           or [None])[0],
                                    type='index', label='Example sequence',
                                    elem_id='sequence-example')
                            with gr.Tab('Upload') as upload_tab:
                                sequence_upload = gr.File(
                                    label='One video, or keypoint JSON files '
                                    '(one per frame, in name order)',
                                    file_count='multiple',
                                    file_types=['video', '.gif', '.json'],
                                    type='filepath', height=110,
                                    elem_id='sequence-upload')
                        with gr.Row():
                            side_by_side = gr.Checkbox(
                                False, label='Side by side',
                                elem_id='side-by-side')
                            retarget = gr.Checkbox(True, label='Retarget',
                                                   elem_id='retarget')
                            smooth = gr.Checkbox(True, label='Smooth',
                                                 elem_id='smooth')
                        generate_animation = gr.Button(
                            'Generate animation', variant='primary',
                            elem_id='generate-animation')
                generate = gr.Button('Generate', variant='primary',
                                     elem_id='generate')
            with gr.Column():
                result = gr.Image(label='Result (model size)', format='png',
                                  interactive=False, height=256,
                                  elem_id='result')
                panel = gr.Image(label='source | target pose | result',
                                 format='png', interactive=False,
                                 elem_id='panel')
                animation = gr.Image(label='Animation (GIF)',
                                     interactive=False, height=256,
                                     elem_id='animation')
                message = gr.Markdown(elem_id='message')

        def choose_example(event: gr.SelectData):
            return app.example_photos[event.index]

        examples.select(choose_example, None, source)

        def show_source(path):
            return app.preview(path)

        source.change(show_source, source, [source_preview, message])

        for tab, name in ((gallery_tab, POSE_FROM_GALLERY),
                          (photo_tab, POSE_FROM_PHOTO), (json_tab,
                                                         POSE_FROM_JSON)):
            tab.select(lambda name=name: (name, gr.update(visible=True)),
                       None, [pose_from, generate])
        # The animation tab has its own button.
        sequence_tab.select(lambda: gr.update(visible=False), None, generate)

        def choose_pose(event: gr.SelectData):
            return event.index, f'Pose: **{app.gallery[event.index].name}**'

        gallery.select(choose_pose, None, [gallery_index, chosen])

        def run(*inputs):
            answer = app.generate(*inputs)
            return answer.result, answer.panel, answer.message

        # A click while one runs is not lost: the newest choice runs next
        # (Gradio's default drops clicks while an event is pending).
        generate.click(
            run, [source, pose_from, gallery_index, pose_photo, pose_json],
            [result, panel, message], trigger_mode='always_last')

        for tab, name in ((example_tab, SEQUENCE_FROM_EXAMPLE),
                          (upload_tab, SEQUENCE_FROM_UPLOAD)):
            tab.select(lambda name=name: name, None, sequence_from)

        def run_animation(*inputs, progress=gr.Progress()):
            def report(done: int, total: int) -> None:
                progress((done, total), desc='frames', unit='frames')

            answer = app.generate_animation(*inputs, progress=report)
            return answer.gif, answer.message

        generate_animation.click(
            run_animation, [
                source, sequence_from, sequence_example, sequence_upload,
                side_by_side, retarget, smooth
            ], [animation, message], trigger_mode='always_last')
    return page


def build_app(args: argparse.Namespace) -> PoseTransferApp:
    """The model from the arguments, or an app that explains how to get
    one."""
    checkpoint = args.checkpoint or newest_checkpoint(args.work_dir)
    if checkpoint is None:
        # Trained into another --work-dir, the model is found there.
        command = TRAIN_COMMAND if osp.abspath(args.work_dir) == osp.join(
            ROOT, WORK_DIR) else f'{TRAIN_COMMAND} --work-dir {args.work_dir}'
        return PoseTransferApp(
            None, EXAMPLES_DIR,
            no_checkpoint_message(args.work_dir, args.config, command))
    return PoseTransferApp(
        RATENetInferencer.from_args(args, checkpoint), EXAMPLES_DIR)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='RATE-Net web app: a photo + a target pose -> the '
        'person in that pose')
    parser.add_argument('--config', default=osp.join(ROOT, CONFIG),
                        help=f'model config (default: {CONFIG})')
    parser.add_argument(
        '--checkpoint', help='checkpoint (default: the newest *.pth in '
        '--work-dir)')
    parser.add_argument('--work-dir', default=osp.join(ROOT, WORK_DIR),
                        help=f'where to look for checkpoints (default: '
                        f'{WORK_DIR})')
    add_inferencer_arguments(parser)
    parser.add_argument(
        '--host', default='127.0.0.1',
        help='address to serve on (default: 127.0.0.1, this machine only)')
    parser.add_argument('--port', type=int_at_least(1), default=7860,
                        help='port (default: 7860)')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    """A missing or unusable config or checkpoint raises; run as a script,
    it ends in one ``error:`` line (``utils/cli.run_tool``)."""
    args = parse_args(argv)
    app = build_app(args)
    # Gradio checks that it can reach itself; never through a proxy.
    os.environ['NO_PROXY'] = os.environ['no_proxy'] = ','.join(
        filter(None, [os.environ.get('NO_PROXY'), '127.0.0.1', 'localhost']))
    # SIGTERM (kill, systemd, a test's terminate()) stops it as Ctrl+C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        build_page(app).queue().launch(
            server_name=args.host,
            server_port=args.port,
            show_api=False,
            app_kwargs=dict(middleware=[Middleware(SameOriginOnly)]))
    except OSError as error:
        if 'Cannot find empty port' not in str(error):
            raise
        raise UserInputError(
            f'port {args.port} on {args.host} is in use (is the app already '
            'running?): pass --port with a free one') from error
    finally:  # Ctrl+C or SIGTERM: the animations made go with the app
        app.close()


if __name__ == '__main__':
    run_tool(main)
