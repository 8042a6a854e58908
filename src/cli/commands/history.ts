import type { Command } from '../command.js';
import { enc } from '../command.js';
import { ago, ellipsis, humanSize, rfc3339, shortId } from '../format.js';
import { marshalFields, renderList } from '../listing.js';
import { goType } from '../template.js';

interface HistoryItem {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags?: string[] | null;
  Size: number;
  Comment: string;
}

const fields = ['Comment', 'CreatedAt', 'CreatedBy', 'CreatedSince', 'ID', 'Size'];

/** formatter.historyContext */
class HistoryRow {
  get [goType](): string {
    return '*image.historyContext';
  }
  constructor(
    private h: HistoryItem,
    private trunc: boolean,
    private human: boolean,
  ) {}
  get ID(): string {
    return this.trunc && this.h.Id !== '<missing>' ? shortId(this.h.Id) : this.h.Id;
  }
  get CreatedSince(): string {
    return this.human ? ago(this.h.Created) : this.CreatedAt;
  }
  get CreatedAt(): string {
    return rfc3339(this.h.Created * 1000);
  }
  get CreatedBy(): string {
    const s = this.h.CreatedBy.replace(/\t/g, ' ');
    return this.trunc ? ellipsis(s, 45) : s;
  }
  get Size(): string {
    return this.human ? humanSize(this.h.Size, 3) : String(this.h.Size);
  }
  get Comment(): string {
    return this.h.Comment;
  }
  toJSON(): Record<string, unknown> {
    return marshalFields(this, fields);
  }
}

export const command: Command = {
  spec: {
    name: 'history',
    usage: '[OPTIONS] IMAGE',
    description: 'Show the history of an image',
    aliases: ['image history', 'history'],
    flags: [
      { name: 'format', kind: 'string', help: 'Format output using a custom template' },
      { name: 'human', short: 'H', kind: 'bool', help: 'Print sizes and dates in human readable format', default: true },
      { name: 'no-trunc', kind: 'bool', help: "Don't truncate output" },
      { name: 'platform', kind: 'string', help: 'Show history for the given platform' },
      { name: 'quiet', short: 'q', kind: 'bool', help: 'Only show image IDs' },
    ],
    exactArgs: 1,
  },
  async run(ctx, p) {
    const items = await ctx.client().get<HistoryItem[]>(`/images/${enc(p.args[0])}/history`, { platform: p.str('platform') || undefined });
    const rows = items.map((h) => new HistoryRow(h, !p.bool('no-trunc'), p.bool('human')));
    ctx.out.write(
      renderList(
        {
          format: p.str('format'),
          table: p.bool('human') ? '{{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}' : '{{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}',
          quietMode: p.bool('quiet'),
          headers: { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' },
        },
        rows,
      ),
    );
    return 0;
  },
};
