"""Local stand-ins for the services a reader brings (an S3 bucket, EasyCron, the web hosts where
audio and video live), for replay and tests: each answers on ``127.0.0.1`` as the real service
answers, and nothing in them is a recipe's lesson.

- :mod:`~cookbook_utils.standins.s3`: the reader's bucket live, a local S3 (moto) otherwise.
- :mod:`~cookbook_utils.standins.easycron`: EasyCron's v1 API.
- :mod:`~cookbook_utils.standins.web`: Google Drive's and GitHub's file hosts, and a folder served
  over HTTP (a video site for yt-dlp's generic extractor).
"""
