"""The weekly digest (``outcomes digest``): the week's review as a message that reaches people
without opening the app. :mod:`.content` gathers it from the review's views (what needs
action, what moved, the headline ROI, links into the app), :mod:`.messages` renders it as an
email (HTML, plain text and a CSV attachment) and as a Slack-compatible webhook payload, and
:mod:`.delivery` routes it by owner and sends it once per week and recipient.
"""
