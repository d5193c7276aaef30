"""The web app in a real browser: demo/ratenet_gradio.py on a loopback port,
driven by headless Chromium (Debian's ``chromium`` and ``chromium-driver``,
installed by tools/setup_env.sh where apt is available)."""
import io
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import cv2
import pytest
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from skimage import data

from tests.network_testing import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which('chromium')
CHROMEDRIVER = shutil.which('chromedriver')
if not (CHROMIUM and CHROMEDRIVER):
    reason = ('browser test skipped: Debian\'s chromium and chromium-driver '
              'are not installed (tools/setup_env.sh installs them with '
              'apt-get when it runs as root with apt; see '
              'docs/environment.md)')
    print(reason, file=sys.stderr)
    pytest.skip(reason, allow_module_level=True)

RESULT_SIZE = (32, 22)  # the tiny config's frame (H, W)
SEQUENCE_FRAMES = 8  # demo/examples/sequences/synthetic_motion
START_TIMEOUT = 300  # seconds to import torch, MMagic, gradio (busy CPUs)
WAIT = 60  # seconds for the page to load or answer a click (busy CPUs)
# How every answer of the app starts (web_app.PoseTransferApp.generate).
FINAL_MESSAGES = ('Done', 'Error:', 'Unexpected error', 'No checkpoint')


@pytest.fixture(scope='module')
def server(tiny_model_files, tmp_path_factory):
    """The app, started with its README command line plus our model."""
    config, checkpoint = tiny_model_files
    folder = tmp_path_factory.mktemp('app')
    port = free_port()
    log = open(folder / 'app.log', 'w')
    # The app's own temporary folder (its animations) goes under tmp/.
    (folder / 'tmp').mkdir()
    env = dict(os.environ, GRADIO_TEMP_DIR=str(folder / 'uploads'),
               TMPDIR=str(folder / 'tmp'))
    process = subprocess.Popen(
        [sys.executable, 'demo/ratenet_gradio.py', '--config', config,
         '--checkpoint', checkpoint, '--port', str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}/'
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            log.close()
            pytest.fail('the app did not start:\n' +
                        (folder / 'app.log').read_text()[-3000:])
        time.sleep(0.5)
    yield url
    process.terminate()  # SIGTERM, as kill or a service manager stop it
    process.wait(timeout=30)
    log.close()
    # Stopped so, it removed its temporary folder (the animation test made
    # one) as Ctrl+C does.
    assert not list((folder / 'tmp').glob('ratenet_app_*'))


@pytest.fixture(scope='module')
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ('--headless=new', '--no-sandbox',
                     '--disable-dev-shm-usage', '--window-size=1400,1000'):
        options.add_argument(argument)
    options.set_capability('goog:loggingPrefs', {'performance': 'ALL'})
    # The system driver, given explicitly: Selenium Manager downloads
    # nothing.
    driver = webdriver.Chrome(options=options,
                              service=Service(CHROMEDRIVER))
    yield driver
    driver.quit()


@pytest.fixture(scope='module')
def files(tmp_path_factory) -> dict:
    """A real photo (scikit-image's astronaut) and a text file."""
    folder = tmp_path_factory.mktemp('browser_uploads')
    photo, text = folder / 'astronaut.png', folder / 'notes.txt'
    cv2.imwrite(str(photo), data.astronaut()[..., ::-1])
    text.write_text('this is not a photo\n')
    return dict(photo=str(photo), text=str(text))


def open_page(driver, url: str) -> None:
    driver.get(url)
    WebDriverWait(driver, WAIT).until(lambda d: d.find_elements(
        By.CSS_SELECTOR, '#source input[type=file]'))


def upload_pick_generate(driver, path: str) -> str:
    """Upload ``path`` as the source, click the first gallery pose and
    Generate; return the message the page shows."""
    driver.find_element(By.CSS_SELECTOR,
                        '#source input[type=file]').send_keys(path)
    driver.find_element(By.CSS_SELECTOR, '#pose-gallery button').click()
    WebDriverWait(driver, WAIT).until(lambda d: 'Pose:' in d.find_element(
        By.ID, 'chosen-pose').text)
    driver.find_element(By.ID, 'generate').click()
    # While it runs, the message box shows Gradio's progress ("processing").
    WebDriverWait(driver, WAIT).until(lambda d: d.find_element(
        By.ID, 'message').text.startswith(FINAL_MESSAGES))
    return driver.find_element(By.ID, 'message').text


def fetched_hosts(driver) -> set:
    """Hosts the page fetched anything from. Requests that the app's
    Content-Security-Policy blocked (Gradio's CDN script) never leave the
    browser."""
    sent, blocked = {}, set()
    for entry in driver.get_log('performance'):
        message = json.loads(entry['message'])['message']
        params = message['params']
        if message['method'] == 'Network.requestWillBeSent':
            sent[params['requestId']] = params['request']['url']
        elif (message['method'] == 'Network.loadingFailed'
              and params.get('blockedReason') == 'csp'):
            blocked.add(params['requestId'])
    return {
        urlsplit(url).hostname
        for request, url in sent.items()
        if request not in blocked and url.startswith('http')
    }


def shown_fraction(browser, box: str) -> float:
    """The fraction of the picture in ``#box`` that lies inside the box."""
    return browser.execute_script(
        '''const box = document.getElementById(arguments[0]);
        const outer = box.getBoundingClientRect();
        const inner = box.querySelector('img').getBoundingClientRect();
        const shown = Math.min(outer.bottom, inner.bottom)
            - Math.max(outer.top, inner.top);
        return shown / inner.height;''', box)


def test_text_file_as_photo_shows_a_message(server, browser, files):
    open_page(browser, server)
    message = upload_pick_generate(browser, files['text'])
    assert 'The source photo "notes.txt" is not an image' in message
    assert 'Traceback' not in browser.page_source


def test_photo_and_gallery_pose_give_a_result_of_the_model_size(
        server, browser, files):
    # Runs after the error above, on the same server: it kept serving.
    open_page(browser, server)
    message = upload_pick_generate(browser, files['photo'])
    assert message.startswith('Done'), message
    image = browser.find_element(By.CSS_SELECTOR, '#result img')
    size = browser.execute_script(
        'return [arguments[0].naturalHeight, arguments[0].naturalWidth]',
        image)
    assert tuple(size) == RESULT_SIZE
    # The whole picture is drawn inside its box, the source's too (not cut
    # at the box's height after filling its width).
    for box in ('result', 'source-preview'):
        assert shown_fraction(browser, box) == pytest.approx(1.0), box
    # Offline: the page loaded nothing from anywhere but the app.
    assert fetched_hosts(browser) == {'127.0.0.1'}


def test_example_sequence_gives_an_animated_gif(server, browser):
    open_page(browser, server)
    # The second example photo (a synthetic person with bundled keypoints).
    browser.find_elements(By.CSS_SELECTOR, '#example-photos button')[1].click()
    WebDriverWait(browser, WAIT).until(lambda d: d.find_elements(
        By.CSS_SELECTOR, '#source-preview img'))
    browser.find_element(
        By.XPATH, "//button[contains(., 'Pose sequence')]").click()
    generate = browser.find_element(By.ID, 'generate-animation')
    WebDriverWait(browser, WAIT).until(lambda d: generate.is_displayed())
    # The single-pose button gives way to the tab's own.
    WebDriverWait(browser, WAIT).until(
        lambda d: not d.find_element(By.ID, 'generate').is_displayed())
    generate.click()
    WebDriverWait(browser, WAIT).until(lambda d: d.find_element(
        By.ID, 'message').text.startswith(FINAL_MESSAGES))
    message = browser.find_element(By.ID, 'message').text
    assert message.startswith(f'Done: {SEQUENCE_FRAMES} frames'), message
    assert '0 driving frame(s) skipped' in message
    src = browser.find_element(By.CSS_SELECTOR,
                               '#animation img').get_attribute('src')
    with urllib.request.urlopen(src, timeout=30) as response:
        gif = Image.open(io.BytesIO(response.read()))
    assert gif.format == 'GIF' and gif.n_frames == SEQUENCE_FRAMES
    assert gif.size == RESULT_SIZE[::-1]


def test_a_port_in_use_is_one_error_line(server, tiny_model_files):
    """A second app on the first one's port: one line saying what to do,
    exit 2 (a traceback pointing at GRADIO_SERVER_PORT before)."""
    config, checkpoint = tiny_model_files
    port = urlsplit(server).port
    result = subprocess.run(
        [sys.executable, 'demo/ratenet_gradio.py', '--config', config,
         '--checkpoint', checkpoint, '--port', str(port)],
        cwd=ROOT, capture_output=True, text=True, timeout=START_TIMEOUT)
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.strip().splitlines()[-1] == (
        f'error: port {port} on 127.0.0.1 is in use (is the app already '
        'running?): pass --port with a free one')
